import { describe, expect, it } from 'vitest';
import { canResolve, incidentChannelName, type Incident } from '../../src/domain/incident.js';
import { renderPostmortem, timings } from '../../src/domain/postmortem.js';
import { proposal, reading } from '../support/builders.js';

const incident: Incident = {
  id: 'inc-1', service: 'fraud-scorer', status: 'open', title: 'accuracy below 0.85', severity: 'critical', channelId: 'C1',
  openedAt: '2025-03-01T12:00:00.000Z', resolvedAt: null, resolvedBy: null, postmortemPath: null,
};

describe('incident rules', () => {
  it('names the incident channel inc-YYYYMMDD-<service>, Slack-safe', () => {
    expect(incidentChannelName('fraud-scorer', new Date('2025-03-01T23:59:00Z'))).toBe('inc-20250301-fraud-scorer');
    expect(incidentChannelName('Fraud Scorer.v2', new Date('2025-03-01T00:00:00Z'))).toBe('inc-20250301-fraud-scorer-v2');
    expect(incidentChannelName('x'.repeat(200), new Date('2025-03-01T00:00:00Z')).length).toBe(80);
  });
  it('does not resolve while alerts still fire, not even when a person asks', () => {
    expect(canResolve(incident, 1, 'alerts')).toMatchObject({ ok: false, code: 'alerts_firing' });
    expect(canResolve(incident, 0, 'alerts').ok).toBe(true);
    expect(canResolve(incident, 1, 'person')).toMatchObject({ ok: false, code: 'alerts_firing' });
    expect(canResolve(incident, 0, 'person').ok).toBe(true);
    expect(canResolve({ ...incident, status: 'resolved' }, 0, 'person')).toMatchObject({ ok: false, code: 'already_resolved' });
  });
});

describe('postmortem draft', () => {
  const done = proposal({
    state: 'verified', createdAt: '2025-03-01T12:00:30.000Z', decidedAt: '2025-03-01T12:04:00.000Z', verifiedAt: '2025-03-01T12:06:00.000Z',
    executedAt: '2025-03-01T12:05:00.000Z', approvals: [{ user: 'U1', at: '2025-03-01T12:02:00.000Z' }, { user: 'U2', at: '2025-03-01T12:04:00.000Z' }],
    sliAfter: [reading({ current: 0.91, verdict: 'ok' })],
  });
  const input = {
    incident: { ...incident, status: 'resolved' as const, resolvedAt: '2025-03-01T12:10:00.000Z', resolvedBy: 'alertmanager' },
    proposals: [done],
    audit: [{ seq: 1, at: '2025-03-01T12:00:00.000Z', incidentId: 'inc-1', proposalId: null, actor: 'alertmanager', action: 'alert.firing', details: { summary: 'accuracy | low' }, prevHash: '0', hash: '1' }],
    alertNames: ['ModelAccuracyDrop', 'ModelAccuracyDrop'],
  };

  it('measures time to proposal, approval and recovery from the incident start', () => {
    expect(timings(input)).toEqual({ toProposalMs: 30_000, toApprovalMs: 240_000, toRecoveryMs: 360_000 });
  });
  it('has summary, timeline, SLIs before/after, approvers and empty action items', () => {
    const md = renderPostmortem(input);
    expect(md).toContain('# Postmortem draft: fraud-scorer');
    expect(md).toContain('Time to recovery: 6m 0s');
    expect(md).toContain('Alerts: ModelAccuracyDrop\n');
    expect(md).toMatch(/\| accuracy \| 0\.91 \| 0\.8 \(breach\) \| 0\.91 \|/);
    expect(md).toContain('Approved by: U1 at 2025-03-01T12:02:00.000Z, U2 at 2025-03-01T12:04:00.000Z');
    expect(md).toContain('accuracy \\| low');
    expect(md).toMatch(/## Action items\n\n- \[ \] /);
  });
});
