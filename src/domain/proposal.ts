/**
 * The rollback proposal state machine. `transition` is pure: it returns the next state
 * and the effects to carry out, or a refusal with a closed code. Callers persist the
 * result with a compare-and-swap on `rev`, so two racing clicks cannot both win.
 *
 *   pending ──approve (quorum)──▶ approved ──start──▶ executing ──succeeded──▶ executed ──verified──▶ verified
 *      │  ╲──reject──▶ rejected                          │                          ╲──not recovered──▶ not_recovered
 *      ╲──expire──▶ expired      pending ──cancel──▶ cancelled (alerts resolved first)                               ╲──failed──▶ failed
 */
import type { SliReading } from './sli.js';

export type ProposalState =
  | 'pending'
  | 'approved'
  | 'executing'
  | 'executed'
  | 'verified'
  | 'not_recovered'
  | 'failed'
  | 'rejected'
  | 'expired'
  | 'cancelled';

export const LIVE_STATES: readonly ProposalState[] = ['pending', 'approved', 'executing', 'executed'];
export const FINAL_STATES: readonly ProposalState[] = ['verified', 'not_recovered', 'failed', 'rejected', 'expired', 'cancelled'];

export interface Approval {
  user: string;
  at: string;
}

export interface Proposal {
  id: string;
  incidentId: string;
  service: string;
  state: ProposalState;
  /** Bumped on every transition; the store only writes if it still holds the rev it read. */
  rev: number;
  fromVersion: string | null;
  toVersion: string;
  /** `alert` for alert-triggered proposals, else the Slack user who asked. */
  requestedBy: string;
  reason: string;
  requiredApprovals: number;
  approvals: Approval[];
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionReason: string | null;
  executedAt: string | null;
  verifiedAt: string | null;
  sliBefore: SliReading[];
  sliAfter: SliReading[] | null;
  executionDetail: string | null;
  channelId: string;
  messageTs: string | null;
  /** Automatic proposals execute at `autoExecuteAt` unless someone presses Stop. */
  automatic?: boolean;
  autoExecuteAt?: string | null;
  /** Set when an admin executed without the full quorum: the written reason. */
  breakGlass?: string | null;
  /** The target's own checks before anyone approves; a failed one blocks approval. */
  preflight?: { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] } | null;
}

export type ProposalEvent =
  | { type: 'approve'; user: string }
  | { type: 'reject'; user: string; reason: string }
  | { type: 'expire' }
  | { type: 'cancel'; reason: string }
  | { type: 'auto_execute' }
  | { type: 'stop'; user: string }
  | { type: 'break_glass'; user: string; reason: string }
  | { type: 'start_execution' }
  | { type: 'execution_succeeded'; detail: string }
  | { type: 'execution_failed'; detail: string }
  | { type: 'stage_done'; percent: number; readings: SliReading[] }
  | { type: 'stage_halted'; percent: number; readings: SliReading[] }
  | { type: 'verification'; readings: SliReading[]; recovered: boolean };

export type Effect =
  | { type: 'execute' }
  | { type: 'verify' }
  | { type: 'announce'; action: AuditAction; text: string };

/** Every audit action the proposal can produce; also the names in the audit trail. */
export type AuditAction =
  | 'proposal.approved_by'
  | 'proposal.approved'
  | 'proposal.rejected'
  | 'proposal.expired'
  | 'proposal.cancelled'
  | 'proposal.auto_approved'
  | 'proposal.stopped'
  | 'proposal.break_glass'
  | 'execution.started'
  | 'execution.succeeded'
  | 'execution.failed'
  | 'execution.stage'
  | 'execution.halted'
  | 'verification.recovered'
  | 'verification.not_recovered';

export type RefusalCode =
  | 'not_pending'
  | 'expired'
  | 'already_approved'
  | 'invalid_transition'
  | 'preflight_failed';

export type TransitionResult =
  | { ok: true; proposal: Proposal; effects: Effect[] }
  | { ok: false; code: RefusalCode; message: string; proposal?: Proposal; effects?: Effect[] };

export function isExpired(p: Proposal, now: Date): boolean {
  return now.getTime() >= Date.parse(p.expiresAt);
}

const STATE_WORDS: Record<ProposalState, string> = {
  pending: 'waiting for approval',
  approved: 'approved',
  executing: 'being executed',
  executed: 'executed, being verified',
  verified: 'rolled back and verified',
  not_recovered: 'rolled back but not recovered',
  failed: 'failed',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
};

export function describeState(s: ProposalState): string {
  return STATE_WORDS[s];
}

function next(p: Proposal, patch: Partial<Proposal>): Proposal {
  return { ...p, ...patch, rev: p.rev + 1 };
}

/**
 * Approver eligibility (who may approve) is decided by `checkApprover` before this is
 * called; the machine only enforces order, expiry, distinctness and quorum.
 */
export function transition(p: Proposal, event: ProposalEvent, now: Date): TransitionResult {
  const at = now.toISOString();
  switch (event.type) {
    case 'approve': {
      if (p.state !== 'pending') return refuse('not_pending', `This proposal is already ${describeState(p.state)}.`);
      if (isExpired(p, now)) return expireInstead(p, now);
      if (p.preflight && !p.preflight.ok) return refuse('preflight_failed', `Pre-flight failed, so this rollback cannot be approved: ${failedChecks(p)}.`);
      if (p.approvals.some((a) => a.user === event.user)) {
        return refuse('already_approved', `You already approved this proposal; it needs ${p.requiredApprovals} distinct approvers.`);
      }
      const approvals = [...p.approvals, { user: event.user, at }];
      const quorum = approvals.length >= p.requiredApprovals;
      const given = `${approvals.length}/${p.requiredApprovals}`;
      if (!quorum) {
        return ok(next(p, { approvals }), [
          { type: 'announce', action: 'proposal.approved_by', text: `✅ Approved by <@${event.user}> (${given}); waiting for ${p.requiredApprovals - approvals.length} more.` },
        ]);
      }
      return ok(next(p, { approvals, state: 'approved', decidedAt: at, decidedBy: event.user }), [
        { type: 'announce', action: 'proposal.approved_by', text: `✅ Approved by <@${event.user}> (${given}).` },
        { type: 'announce', action: 'proposal.approved', text: `Quorum reached: rolling back ${p.service} to ${p.toVersion}.` },
        { type: 'execute' },
      ]);
    }
    case 'reject': {
      if (p.state !== 'pending') return refuse('not_pending', `This proposal is already ${describeState(p.state)}.`);
      if (isExpired(p, now)) return expireInstead(p, now);
      return ok(next(p, { state: 'rejected', decidedAt: at, decidedBy: event.user, decisionReason: event.reason }), [
        { type: 'announce', action: 'proposal.rejected', text: `⛔ Rejected by <@${event.user}>: ${event.reason}` },
      ]);
    }
    case 'expire': {
      if (p.state !== 'pending') return refuse('not_pending', `Only a pending proposal expires; this one is ${describeState(p.state)}.`);
      if (!isExpired(p, now)) return refuse('invalid_transition', 'The proposal has not reached its expiry time.');
      return ok(next(p, { state: 'expired', decidedAt: at, decisionReason: 'expired before enough approvals' }), [
        { type: 'announce', action: 'proposal.expired', text: `⌛ Proposal expired at ${p.expiresAt} with ${p.approvals.length}/${p.requiredApprovals} approvals; nothing was executed. Propose again if the rollback is still needed.` },
      ]);
    }
    case 'cancel': {
      if (p.state !== 'pending') return refuse('not_pending', `Only a pending proposal can be cancelled; this one is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'cancelled', decidedAt: at, decisionReason: event.reason }), [
        { type: 'announce', action: 'proposal.cancelled', text: `Proposal withdrawn: ${event.reason}. Nothing was executed.` },
      ]);
    }
    case 'auto_execute': {
      if (p.state !== 'pending' || !p.automatic) return refuse('invalid_transition', 'Only a pending automatic proposal executes on its own.');
      if (!p.autoExecuteAt || now.getTime() < Date.parse(p.autoExecuteAt)) return refuse('invalid_transition', 'The grace period has not ended.');
      if (p.preflight && !p.preflight.ok) return refuse('preflight_failed', `Pre-flight failed: ${failedChecks(p)}.`);
      // A restart long after the grace period must not act on a stale decision.
      if (isExpired(p, now)) return expireInstead(p, now);
      return ok(next(p, { state: 'approved', decidedAt: at, decidedBy: 'policy' }), [
        { type: 'announce', action: 'proposal.auto_approved', text: `🤖 Grace period over and nobody pressed Stop: rolling back ${p.service} to ${p.toVersion} automatically (${p.reason}).` },
        { type: 'execute' },
      ]);
    }
    case 'stop': {
      if (p.state !== 'pending') return refuse('not_pending', `Too late to stop: this proposal is already ${describeState(p.state)}.`);
      return ok(next(p, { state: 'rejected', decidedAt: at, decidedBy: event.user, decisionReason: `stopped by <@${event.user}> before the automatic rollback` }), [
        { type: 'announce', action: 'proposal.stopped', text: `✋ Stopped by <@${event.user}>: the automatic rollback of ${p.service} will not run.` },
      ]);
    }
    case 'break_glass': {
      if (p.state !== 'pending') return refuse('not_pending', `This proposal is already ${describeState(p.state)}.`);
      if (isExpired(p, now)) return expireInstead(p, now);
      if (p.preflight && !p.preflight.ok) return refuse('preflight_failed', `Pre-flight failed, not even break-glass can run it: ${failedChecks(p)}.`);
      const reason = event.reason.trim();
      if (reason.length < 10) return refuse('invalid_transition', 'Break-glass needs a written reason (at least 10 characters).');
      return ok(next(p, { state: 'approved', decidedAt: at, decidedBy: event.user, breakGlass: reason }), [
        { type: 'announce', action: 'proposal.break_glass', text: `<!here> 🚨 *BREAK-GLASS* by <@${event.user}>: executing without the full quorum (${p.approvals.length}/${p.requiredApprovals}). Reason: ${reason}` },
        { type: 'execute' },
      ]);
    }
    case 'start_execution': {
      if (p.state !== 'approved') return refuse('invalid_transition', `Cannot execute a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'executing' }), [
        { type: 'announce', action: 'execution.started', text: `⏳ Executing rollback of ${p.service}: ${p.fromVersion ?? 'unknown'} → ${p.toVersion}.` },
      ]);
    }
    case 'execution_succeeded': {
      if (p.state !== 'executing') return refuse('invalid_transition', `Execution finished for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'executed', executedAt: at, executionDetail: event.detail }), [
        { type: 'announce', action: 'execution.succeeded', text: `🔁 Rolled back ${p.service} to ${p.toVersion}: ${event.detail}. Verifying SLIs…` },
        { type: 'verify' },
      ]);
    }
    case 'execution_failed': {
      if (p.state !== 'executing') return refuse('invalid_transition', `Execution failed for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'failed', executionDetail: event.detail }), [
        { type: 'announce', action: 'execution.failed', text: `❌ Rollback of ${p.service} to ${p.toVersion} failed: ${event.detail}. Nothing is reported as rolled back; follow the runbook.` },
      ]);
    }
    case 'stage_done': {
      if (p.state !== 'executing') return refuse('invalid_transition', `No staged rollback is running for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, {}), [
        { type: 'announce', action: 'execution.stage', text: `↗️ ${event.percent}% of traffic on ${p.toVersion}: SLIs improved (${event.readings.map((r) => `${r.name} ${r.reason}`).join('; ')}). Continuing.` },
      ]);
    }
    case 'stage_halted': {
      if (p.state !== 'executing') return refuse('invalid_transition', `No staged rollback is running for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'not_recovered', executedAt: at, verifiedAt: at, sliAfter: event.readings, executionDetail: `stopped at ${event.percent}%` }), [
        { type: 'announce', action: 'execution.halted', text: `🛑 Stopped at ${event.percent}% of traffic on ${p.toVersion}: the SLIs did not improve (${event.readings.map((r) => `${r.name} ${r.reason}`).join('; ')}). Traffic stays split at ${event.percent}%; a human decides whether to continue or roll forward.` },
      ]);
    }
    case 'verification': {
      if (p.state !== 'executed') return refuse('invalid_transition', `Cannot verify a proposal that is ${describeState(p.state)}.`);
      const state: ProposalState = event.recovered ? 'verified' : 'not_recovered';
      return ok(next(p, { state, verifiedAt: at, sliAfter: event.readings }), [
        event.recovered
          ? { type: 'announce', action: 'verification.recovered', text: `🟢 Verified: ${p.service} on ${p.toVersion} is within its SLIs.` }
          : { type: 'announce', action: 'verification.not_recovered', text: `🟠 Not recovered: ${p.service} on ${p.toVersion} still fails or cannot be measured. A human must look now.` },
      ]);
    }
  }
}

function failedChecks(p: Proposal): string {
  return (p.preflight?.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ');
}

function ok(proposal: Proposal, effects: Effect[]): TransitionResult {
  return { ok: true, proposal, effects };
}

function refuse(code: RefusalCode, message: string): TransitionResult {
  return { ok: false, code, message };
}

/** An approval or rejection that arrives after expiry expires the proposal instead. */
function expireInstead(p: Proposal, now: Date): TransitionResult {
  const expired = transition(p, { type: 'expire' }, now);
  if (!expired.ok) return expired;
  return { ok: false, code: 'expired', message: 'This proposal has expired; stale approvals never execute an old decision.', proposal: expired.proposal, effects: expired.effects };
}
