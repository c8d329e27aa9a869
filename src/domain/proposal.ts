/**
 * The rollback proposal state machine. `transition` is pure: it returns the next state
 * and the effects to carry out, or a refusal with a closed code. Callers persist the
 * result with a compare-and-swap on `rev`, so two racing clicks cannot both win.
 *
 *   pending ──approve (quorum)──▶ approved ──start──▶ executing ──succeeded──▶ executed ──verified──▶ verified
 *      │  ╲──reject──▶ rejected                          │  │                       ├──SLIs only──▶ unconfirmed
 *      ╲──expire──▶ expired                              │  ╲──failed──▶ failed      ╲──not recovered──▶ not_recovered
 *   pending ──cancel──▶ cancelled (alerts resolved first) ╲──target moved──▶ superseded
 *
 * "Verified" needs both: the target reported the approved version, and every SLI was measured
 * healthy. A target that cannot report its version ends `unconfirmed` at best.
 */
import type { ApproverPolicy } from './approval.js';
import type { SliReading } from './sli.js';
import type { ProposalFact } from './step-fact.js';

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
  | 'cancelled'
  /** The target moved away from the approved version before execution: nothing was done. */
  | 'superseded'
  /** Rolled back and the SLIs are healthy, but the target cannot report which version it serves. */
  | 'unconfirmed';

export const LIVE_STATES: readonly ProposalState[] = ['pending', 'approved', 'executing', 'executed'];
export const FINAL_STATES: readonly ProposalState[] = ['verified', 'unconfirmed', 'not_recovered', 'failed', 'superseded', 'rejected', 'expired', 'cancelled'];

/** What the target said when Backstop read it back after the rollback. */
export interface ReadBackResult {
  /** confirmed: serves the approved version; mismatch: serves another; unsupported: cannot tell; unreachable: reading failed. */
  status: 'confirmed' | 'mismatch' | 'unsupported' | 'unreachable';
  version: string | null;
  detail: string;
}

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
  /** The pre-deploy instant every SLI baseline of this proposal is read at (before, stages, after). */
  baselineAt?: string | null;
  /** The adapter's plan as shown to approvers, and what it was computed against. */
  plan?: { steps: string[]; basis?: string } | null;
  /** The read-back after execution. */
  readBack?: ReadBackResult | null;
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
  | { type: 'execution_failed'; detail: string; notify?: ApproverPolicy }
  /** The adapter refused because the target no longer serves `fromVersion`. */
  | { type: 'target_moved'; current: string | null; detail: string; notify?: ApproverPolicy }
  | { type: 'stage_done'; percent: number; readings: SliReading[] }
  | { type: 'stage_halted'; percent: number; readings: SliReading[] }
  /** `readings` are empty when the SLIs were not measured (the target does not serve the approved version). */
  | { type: 'verification'; readings: SliReading[]; readBack: ReadBackResult };

export type Effect =
  | { type: 'execute' }
  | { type: 'verify' }
  /** Tell people what happened: a fact, worded by whoever renders it (Slack, PagerDuty, postmortem). */
  | { type: 'announce'; fact: ProposalFact };

export type RefusalCode =
  | 'not_pending'
  | 'expired'
  | 'already_approved'
  | 'invalid_transition'
  | 'preflight_failed'
  | 'too_late';

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
  superseded: 'superseded: the target moved before execution',
  unconfirmed: 'rolled back; SLIs healthy, version unconfirmed',
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
      if (!quorum) {
        return ok(next(p, { approvals }), [
          { type: 'announce', fact: { action: 'proposal.approved_by', user: event.user, given: approvals.length, required: p.requiredApprovals } },
        ]);
      }
      return ok(next(p, { approvals, state: 'approved', decidedAt: at, decidedBy: event.user }), [
        { type: 'announce', fact: { action: 'proposal.approved_by', user: event.user, given: approvals.length, required: p.requiredApprovals } },
        { type: 'announce', fact: { action: 'proposal.approved', service: p.service, to: p.toVersion } },
        { type: 'execute' },
      ]);
    }
    case 'reject': {
      if (p.state !== 'pending') return refuse('not_pending', `This proposal is already ${describeState(p.state)}.`);
      if (isExpired(p, now)) return expireInstead(p, now);
      return ok(next(p, { state: 'rejected', decidedAt: at, decidedBy: event.user, decisionReason: event.reason }), [
        { type: 'announce', fact: { action: 'proposal.rejected', user: event.user, reason: event.reason } },
      ]);
    }
    case 'expire': {
      if (p.state !== 'pending') return refuse('not_pending', `Only a pending proposal expires; this one is ${describeState(p.state)}.`);
      if (!isExpired(p, now)) return refuse('invalid_transition', 'The proposal has not reached its expiry time.');
      return ok(next(p, { state: 'expired', decidedAt: at, decisionReason: 'expired before enough approvals' }), [
        { type: 'announce', fact: { action: 'proposal.expired', expiresAt: p.expiresAt, given: p.approvals.length, required: p.requiredApprovals } },
      ]);
    }
    case 'cancel': {
      if (p.state !== 'pending') return refuse('not_pending', `Only a pending proposal can be cancelled; this one is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'cancelled', decidedAt: at, decisionReason: event.reason }), [
        { type: 'announce', fact: { action: 'proposal.cancelled', reason: event.reason } },
      ]);
    }
    case 'auto_execute': {
      if (p.state !== 'pending' || !p.automatic) return refuse('invalid_transition', 'Only a pending automatic proposal executes on its own.');
      if (!p.autoExecuteAt || now.getTime() < Date.parse(p.autoExecuteAt)) return refuse('invalid_transition', 'The grace period has not ended.');
      if (p.preflight && !p.preflight.ok) return refuse('preflight_failed', `Pre-flight failed: ${failedChecks(p)}.`);
      // A restart long after the grace period must not act on a stale decision.
      if (isExpired(p, now)) return expireInstead(p, now);
      return ok(next(p, { state: 'approved', decidedAt: at, decidedBy: 'policy' }), [
        { type: 'announce', fact: { action: 'proposal.auto_approved', service: p.service, to: p.toVersion, reason: p.reason } },
        { type: 'execute' },
      ]);
    }
    case 'stop': {
      if (p.state !== 'pending') return refuse('not_pending', `Too late to stop: this proposal is already ${describeState(p.state)}.`);
      // Past the due time the rollback is being started: a Stop now would race it, so it is refused, not half-honoured.
      if (p.automatic && p.autoExecuteAt && now.getTime() >= Date.parse(p.autoExecuteAt)) {
        return refuse('too_late', `Too late to stop: the grace period ended at ${p.autoExecuteAt} and the automatic rollback is starting. If it should not run, reject the outcome and roll forward.`);
      }
      return ok(next(p, { state: 'rejected', decidedAt: at, decidedBy: event.user, decisionReason: 'stopped by an approver before the automatic rollback' }), [
        { type: 'announce', fact: { action: 'proposal.stopped', user: event.user, service: p.service } },
      ]);
    }
    case 'break_glass': {
      if (p.state !== 'pending') return refuse('not_pending', `This proposal is already ${describeState(p.state)}.`);
      if (isExpired(p, now)) return expireInstead(p, now);
      if (p.preflight && !p.preflight.ok) return refuse('preflight_failed', `Pre-flight failed, not even break-glass can run it: ${failedChecks(p)}.`);
      const reason = event.reason.trim();
      if (reason.length < 10) return refuse('invalid_transition', 'Break-glass needs a written reason (at least 10 characters).');
      return ok(next(p, { state: 'approved', decidedAt: at, decidedBy: event.user, breakGlass: reason }), [
        { type: 'announce', fact: { action: 'proposal.break_glass', user: event.user, given: p.approvals.length, required: p.requiredApprovals, reason } },
        { type: 'execute' },
      ]);
    }
    case 'start_execution': {
      if (p.state !== 'approved') return refuse('invalid_transition', `Cannot execute a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'executing' }), [
        { type: 'announce', fact: { action: 'execution.started', service: p.service, from: p.fromVersion, to: p.toVersion } },
      ]);
    }
    case 'execution_succeeded': {
      if (p.state !== 'executing') return refuse('invalid_transition', `Execution finished for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'executed', executedAt: at, executionDetail: event.detail }), [
        { type: 'announce', fact: { action: 'execution.succeeded', service: p.service, to: p.toVersion, detail: event.detail } },
        { type: 'verify' },
      ]);
    }
    case 'execution_failed': {
      if (p.state !== 'executing') return refuse('invalid_transition', `Execution failed for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'failed', executionDetail: event.detail }), [
        { type: 'announce', fact: { action: 'execution.failed', service: p.service, to: p.toVersion, detail: event.detail, ...(event.notify ? { notify: event.notify } : {}) } },
      ]);
    }
    case 'target_moved': {
      if (p.state !== 'executing') return refuse('invalid_transition', `A target-moved refusal arrived for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'superseded', executionDetail: event.detail, decisionReason: `the target now serves ${event.current ?? 'an unknown version'}, not ${p.fromVersion ?? 'unknown'} as approved` }), [
        { type: 'announce', fact: { action: 'execution.superseded', service: p.service, from: p.fromVersion, to: p.toVersion, current: event.current, ...(event.notify ? { notify: event.notify } : {}) } },
      ]);
    }
    case 'stage_done': {
      if (p.state !== 'executing') return refuse('invalid_transition', `No staged rollback is running for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, {}), [
        { type: 'announce', fact: { action: 'execution.stage', percent: event.percent, to: p.toVersion, readings: event.readings } },
      ]);
    }
    case 'stage_halted': {
      if (p.state !== 'executing') return refuse('invalid_transition', `No staged rollback is running for a proposal that is ${describeState(p.state)}.`);
      return ok(next(p, { state: 'not_recovered', executedAt: at, verifiedAt: at, sliAfter: event.readings, executionDetail: `stopped at ${event.percent}%` }), [
        { type: 'announce', fact: { action: 'execution.halted', percent: event.percent, to: p.toVersion, readings: event.readings } },
      ]);
    }
    case 'verification': {
      if (p.state !== 'executed') return refuse('invalid_transition', `Cannot verify a proposal that is ${describeState(p.state)}.`);
      const state = verificationOutcome(event.readings, event.readBack);
      const action = state === 'verified' ? 'verification.recovered' : state === 'unconfirmed' ? 'verification.unconfirmed' : 'verification.not_recovered';
      return ok(next(p, { state, verifiedAt: at, sliAfter: event.readings, readBack: event.readBack }), [
        { type: 'announce', fact: { action, service: p.service, to: p.toVersion, readBack: event.readBack, readings: event.readings } },
      ]);
    }
  }
}

/** Verified only when the target confirms the version and every SLI was measured healthy; otherwise say what is unknown. */
function verificationOutcome(readings: readonly SliReading[], rb: ReadBackResult): 'verified' | 'unconfirmed' | 'not_recovered' {
  const healthy = readings.length > 0 && readings.every((r) => r.verdict === 'ok');
  if (rb.status === 'confirmed' && healthy) return 'verified';
  if (rb.status === 'unsupported' && healthy) return 'unconfirmed';
  return 'not_recovered';
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
