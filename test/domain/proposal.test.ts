import { describe, expect, it } from 'vitest';
import { describeStep } from '../../src/domain/describe-step.js';
import { plainText } from '../../src/domain/said.js';
import { transition, type Proposal, type ProposalEvent, type ProposalState } from '../../src/domain/proposal.js';
import { proposal, reading } from '../support/builders.js';

const NOW = new Date('2025-03-01T12:05:00.000Z');
const LATE = new Date('2025-03-01T12:31:00.000Z');

function apply(p: Proposal, e: ProposalEvent, now = NOW) {
  return transition(p, e, now);
}

describe('proposal state machine', () => {
  it('records a first approval without reaching quorum and bumps the revision', () => {
    const r = apply(proposal(), { type: 'approve', user: 'U1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.proposal.state).toBe('pending');
    expect(r.proposal.approvals.map((a) => a.user)).toEqual(['U1']);
    expect(r.proposal.rev).toBe(1);
    expect(r.effects.some((e) => e.type === 'execute')).toBe(false);
    expect(r.effects[0]).toMatchObject({ type: 'announce', fact: { action: 'proposal.approved_by', user: 'U1', given: 1, required: 2 } });
  });

  it('reaches quorum with a second distinct approver and asks for execution', () => {
    const r = apply(proposal({ approvals: [{ user: 'U1', at: NOW.toISOString() }] }), { type: 'approve', user: 'U2' });
    expect(r.ok && r.proposal.state).toBe('approved');
    expect(r.ok && r.effects.map((e) => e.type)).toEqual(['announce', 'announce', 'execute']);
    expect(r.ok && r.proposal.decidedBy).toBe('U2');
  });

  it('refuses the same person approving twice', () => {
    const r = apply(proposal({ approvals: [{ user: 'U1', at: NOW.toISOString() }] }), { type: 'approve', user: 'U1' });
    expect(r).toMatchObject({ ok: false, code: 'already_approved' });
  });

  it('executes with one approval when one is required', () => {
    const r = apply(proposal({ requiredApprovals: 1 }), { type: 'approve', user: 'U1' });
    expect(r.ok && r.proposal.state).toBe('approved');
  });

  it('turns an approval after expiry into an expiry, never an execution', () => {
    const r = apply(proposal({ approvals: [{ user: 'U1', at: NOW.toISOString() }] }), { type: 'approve', user: 'U2' }, LATE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('expired');
    expect(r.proposal?.state).toBe('expired');
    expect(r.effects?.some((e) => e.type === 'execute')).toBe(false);
  });

  it('treats the exact expiry instant as expired', () => {
    const r = apply(proposal(), { type: 'approve', user: 'U1' }, new Date('2025-03-01T12:30:00.000Z'));
    expect(r).toMatchObject({ ok: false, code: 'expired' });
  });

  it('rejects with the reason and closes the proposal', () => {
    const r = apply(proposal(), { type: 'reject', user: 'U3', reason: 'the alert is a false positive' });
    expect(r.ok && r.proposal).toMatchObject({ state: 'rejected', decidedBy: 'U3', decisionReason: 'the alert is a false positive' });
  });

  it('will not expire before its time', () => {
    expect(apply(proposal(), { type: 'expire' })).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(apply(proposal(), { type: 'expire' }, LATE).ok).toBe(true);
  });

  it('walks approved → executing → executed → verified', () => {
    let p = proposal({ state: 'approved' });
    for (const [e, state] of [
      [{ type: 'start_execution' }, 'executing'],
      [{ type: 'execution_succeeded', detail: 'alias moved' }, 'executed'],
      [{ type: 'verification', readings: [reading({ current: 0.91, verdict: 'ok' })], readBack: { status: 'confirmed', version: 'v41', detail: 'alias at v41' } }, 'verified'],
    ] as [ProposalEvent, ProposalState][]) {
      const r = apply(p, e);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.proposal.state).toBe(state);
      p = r.proposal;
    }
    expect(p.sliAfter?.[0]?.current).toBe(0.91);
    expect(p.executedAt).not.toBeNull();
  });

  it('asks to verify after a successful execution', () => {
    const r = apply(proposal({ state: 'executing' }), { type: 'execution_succeeded', detail: 'ok' });
    expect(r.ok && r.effects.map((e) => e.type)).toContain('verify');
  });

  it('marks a failed execution failed without any verify effect', () => {
    const r = apply(proposal({ state: 'executing' }), { type: 'execution_failed', detail: 'HTTP 503' });
    expect(r.ok && r.proposal.state).toBe('failed');
    expect(r.ok && r.effects.map((e) => e.type)).not.toContain('verify');
  });

  const confirmed = { status: 'confirmed' as const, version: 'v41', detail: 'alias production points at v41' };
  const healthy = reading({ verdict: 'ok', current: 0.91, reason: '0.91 within threshold 0.85' });

  it('says not recovered when verification fails', () => {
    const r = apply(proposal({ state: 'executed' }), { type: 'verification', readings: [reading()], readBack: confirmed });
    expect(r.ok && r.proposal.state).toBe('not_recovered');
  });

  it('says Verified only when the target reports the version and every SLI is healthy', () => {
    const r = apply(proposal({ state: 'executed' }), { type: 'verification', readings: [healthy], readBack: confirmed });
    expect(r.ok && r.proposal.state).toBe('verified');
    const text = r.ok ? r.effects.map((e) => (e.type === 'announce' ? plainText(describeStep(e.fact)) : '')).join(' ') : '';
    expect(text).toContain('Verified');
    expect(text).toContain('alias production points at v41');
  });

  it('never says Verified while the target still serves another version, whatever the SLIs', () => {
    const r = apply(proposal({ state: 'executed' }), { type: 'verification', readings: [], readBack: { status: 'mismatch', version: 'v42', detail: 'versions endpoint reports v42' } });
    expect(r.ok && r.proposal.state).toBe('not_recovered');
    const text = r.ok ? r.effects.map((e) => (e.type === 'announce' ? plainText(describeStep(e.fact)) : '')).join(' ') : '';
    expect(text).not.toContain('Verified');
    expect(text).toContain('still reports v42');
  });

  it('says "SLIs only" for a target that cannot report its version, and not Verified', () => {
    const r = apply(proposal({ state: 'executed' }), { type: 'verification', readings: [healthy], readBack: { status: 'unsupported', version: null, detail: 'no versionsUrl' } });
    expect(r.ok && r.proposal.state).toBe('unconfirmed');
    const text = r.ok ? r.effects.map((e) => (e.type === 'announce' ? plainText(describeStep(e.fact)) : '')).join(' ') : '';
    expect(text).toContain('the target cannot confirm its version; SLIs only');
    expect(text).not.toMatch(/\bVerified\b/);
  });

  it('supersedes an approval whose target moved, naming the version nobody approved removing', () => {
    const r = apply(proposal({ state: 'executing', fromVersion: 'v42', toVersion: 'v41' }), { type: 'target_moved', current: 'v43', detail: 'the target now serves v43' });
    expect(r.ok && r.proposal.state).toBe('superseded');
    expect(r.ok && r.effects.map((e) => e.type)).toEqual(['announce']);
    const text = r.ok ? r.effects.map((e) => (e.type === 'announce' ? plainText(describeStep(e.fact)) : '')).join(' ') : '';
    expect(text).toContain('now serves v43, which nobody approved removing');
    expect(text).toContain('Nothing was rolled back');
  });

  it('cancels only pending proposals', () => {
    expect(apply(proposal(), { type: 'cancel', reason: 'alerts resolved' }).ok).toBe(true);
    expect(apply(proposal({ state: 'executing' }), { type: 'cancel', reason: 'x' })).toMatchObject({ ok: false, code: 'not_pending' });
  });

  const illegal: [ProposalState, ProposalEvent][] = [
    ['approved', { type: 'approve', user: 'U9' }],
    ['executing', { type: 'approve', user: 'U9' }],
    ['verified', { type: 'reject', user: 'U9', reason: 'x' }],
    ['rejected', { type: 'approve', user: 'U9' }],
    ['expired', { type: 'approve', user: 'U9' }],
    ['pending', { type: 'start_execution' }],
    ['executing', { type: 'start_execution' }],
    ['executed', { type: 'start_execution' }],
    ['approved', { type: 'execution_succeeded', detail: '' }],
    ['failed', { type: 'execution_failed', detail: '' }],
    ['executing', { type: 'verification', readings: [], readBack: { status: 'confirmed', version: 'v41', detail: '' } }],
    ['verified', { type: 'verification', readings: [], readBack: { status: 'confirmed', version: 'v41', detail: '' } }],
    ['approved', { type: 'target_moved', current: 'v43', detail: '' }],
    ['superseded', { type: 'start_execution' }],
  ];
  it.each(illegal)('refuses from %s the event %o', (state, e) => {
    const r = apply(proposal({ state }), e);
    expect(r.ok).toBe(false);
  });
});
