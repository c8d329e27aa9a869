import { describe, expect, it } from 'vitest';
import { canResolve, incidentChannelName, type Incident } from '../../src/domain/incident.js';
import { peopleOfPostmortem, renderPostmortem, timings } from '../../src/domain/postmortem.js';
import { postmortemSummary } from '../../src/domain/postmortem-summary.js';
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
  it('has summary, impact, timeline, SLIs before/after, root cause, decisions and action items, people by name', () => {
    const md = renderPostmortem({ ...input, names: { U1: 'Alice', U2: 'Bob' } });
    expect(md).toContain('# Postmortem draft: fraud-scorer');
    expect(md).toContain('Time to recovery: 6m 0s');
    expect(md).toContain('Alerts: ModelAccuracyDrop\n');
    expect(md).toContain('Impact window (UTC): 2025-03-01 12:00:00 – 2025-03-01 12:06:00 (6m 0s)');
    expect(md).toMatch(/\| accuracy \| 0\.91 \| 0\.8 \(breach\) \| 0\.91 \|/);
    expect(md).toContain('Approved by: Alice at 2025-03-01 12:02:00, Bob at 2025-03-01 12:04:00');
    expect(md).toContain('- Approved by: Alice, Bob');
    expect(md).not.toMatch(/\bU[12]\b/);
    expect(md).toContain('accuracy \\| low');
    for (const heading of ['## Impact', '## Root cause', '## Decisions']) expect(md).toContain(`${heading}\n`);
    expect(md).toMatch(/## Action items\n\n- \[ \] /);
  });
  it('lists the timeline in time order, not audit order, and names every person it mentions', () => {
    const row = (seq: number, at: string, actor: string, fact: Record<string, unknown>) => ({ seq, at, incidentId: 'inc-1', proposalId: 'rb-1', actor, action: String(fact.action), details: { text: 'x', fact }, prevHash: '0', hash: String(seq) });
    const audit = [
      row(2, '2025-03-01T12:04:00.000Z', 'U0BOB', { action: 'proposal.approved_by', user: 'U0BOB', given: 2, required: 2 }),
      row(3, '2025-03-01T12:02:00.000Z', 'U0ALICE', { action: 'proposal.approved_by', user: 'U0ALICE', given: 1, required: 2 }),
    ];
    const base = { ...input, audit };
    expect(peopleOfPostmortem(base).sort()).toEqual(['U0ALICE', 'U0BOB', 'U1', 'U2']);
    const md = renderPostmortem({ ...base, names: { U0ALICE: 'Alice', U0BOB: 'Bob', U1: 'Alice', U2: 'Bob' } });
    const timeline = md.slice(md.indexOf('## Timeline'), md.indexOf('## SLIs'));
    expect(timeline.indexOf('12:02:00 | Alice')).toBeGreaterThan(0);
    expect(timeline.indexOf('12:02:00 | Alice')).toBeLessThan(timeline.indexOf('12:04:00 | Bob'));
    expect(timeline).toContain('Approved by @Alice (1/2)');
    expect(md).not.toMatch(/\bU0[A-Z]+\b/);
  });
  it('summarises impact, timings, versions, approvers and SLIs for the Slack blocks', () => {
    const s = postmortemSummary(input);
    expect(s).toMatchObject({
      impact: { start: '2025-03-01T12:00:00.000Z', end: '2025-03-01T12:06:00.000Z' },
      rollback: { from: 'v42', to: 'v41', state: 'verified' }, approvedBy: ['U1', 'U2'],
      slis: [{ name: 'accuracy', baseline: 0.91, before: 0.8, after: 0.91, verdictAfter: 'ok' }],
    });
  });
});
