import type { Proposal } from '../../src/domain/proposal.js';
import type { SliReading } from '../../src/domain/sli.js';

export function reading(over: Partial<SliReading> = {}): SliReading {
  return { name: 'accuracy', baseline: 0.91, current: 0.8, comparator: 'lt', threshold: 0.85, verdict: 'breach', reason: '0.8 < 0.85 (threshold)', ...over };
}

export function proposal(over: Partial<Proposal> = {}): Proposal {
  return {
    id: 'rb-1', incidentId: 'inc-1', service: 'fraud-scorer', state: 'pending', rev: 0, fromVersion: 'v42', toVersion: 'v41',
    requestedBy: 'alert', reason: 'alert ModelAccuracyDrop firing', requiredApprovals: 2, approvals: [],
    createdAt: '2025-03-01T12:00:00.000Z', expiresAt: '2025-03-01T12:30:00.000Z', decidedAt: null, decidedBy: null,
    decisionReason: null, executedAt: null, verifiedAt: null, sliBefore: [reading()], sliAfter: null, executionDetail: null,
    channelId: 'C1', messageTs: null, ...over,
  };
}
