import { checkApprover, type ApproverCheck, type ApproverPolicy, type OnCallFacts } from '../domain/approval.js';
import type { Proposal } from '../domain/proposal.js';
import type { Said } from '../domain/said.js';
import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { carryOut } from './carry-out.js';
import { recordStep } from './record-step.js';

/** What to tell the clicker; Said, because a refusal names who may approve. */
export type DecisionResult = { ok: true; message: Said } | { ok: false; code: string; message: Said };

/**
 * An approver's click on Approve or Reject. Eligibility is checked against the policy
 * (users and user groups) before the state machine; refusals are audited too.
 */
export interface DecisionRequest {
  proposalId: string;
  user: string;
  decision: 'approve' | 'reject';
  reason?: string;
  /** Where the click came from: a button only ever decides the proposal of its own message. */
  from?: { channelId?: string; messageTs?: string };
}

export async function recordDecision(deps: Deps, req: DecisionRequest): Promise<DecisionResult> {
  const proposal = await deps.store.proposals.get(req.proposalId);
  if (!proposal) return { ok: false, code: 'not_found', message: [`No proposal ${req.proposalId}.`] };
  const svc = deps.service(proposal.service);
  if (!svc) return { ok: false, code: 'unknown_service', message: [`Service ${proposal.service} is no longer in the policy; nothing can be approved.`] };

  // An edited button value (another proposal's id) must not decide that other proposal.
  const fromElsewhere = req.from && ((req.from.channelId && req.from.channelId !== proposal.channelId) || (req.from.messageTs && proposal.messageTs && req.from.messageTs !== proposal.messageTs));
  if (fromElsewhere) {
    await deps.store.tx((r) => r.audit.append({
      at: deps.clock.now().toISOString(), incidentId: proposal.incidentId, proposalId: proposal.id, actor: req.user, action: `${req.decision}.refused`,
      details: { code: 'wrong_message', channel: req.from?.channelId ?? null, messageTs: req.from?.messageTs ?? null },
    }));
    return { ok: false, code: 'wrong_message', message: ['This button does not belong to that proposal; use the buttons on the proposal message itself.'] };
  }
  const check = await mayDecide(deps, proposal, svc.approvers, req.user);
  if (!check.ok) {
    await deps.store.tx((r) => recordStep(deps, r, {
      incidentId: proposal.incidentId, proposalId: proposal.id, actor: req.user,
      fact: { action: req.decision === 'approve' ? 'approve.refused' : 'reject.refused', user: req.user, code: check.code },
      details: { code: check.code },
    }));
    deps.kickOutbox();
    return { ok: false, code: check.code, message: check.message };
  }

  const event = req.decision === 'approve'
    ? { type: 'approve' as const, user: req.user }
    : { type: 'reject' as const, user: req.user, reason: req.reason?.trim() || 'no reason given' };
  const applied = await applyTransition(deps, proposal.id, event, req.user);
  if (!applied.ok) return { ok: false, code: applied.code, message: [applied.message] };
  if (applied.proposal.state === 'approved') deps.checkpoint?.('approved');
  carryOut(deps, proposal.id, applied.effects);
  const p = applied.proposal;
  const message = req.decision === 'reject'
    ? `You rejected the rollback of ${p.service}.`
    : p.state === 'approved'
      ? `Your approval completed the quorum: rolling back ${p.service} to ${p.toVersion}.`
      : `Approval recorded (${p.approvals.length}/${p.requiredApprovals}).`;
  return { ok: true, message: [message] };
}

/**
 * Whether `user` may approve or reject this proposal (users, user groups, PagerDuty on-call; never
 * the requester). Asked before a Reject modal opens too, so nobody types a reason for nothing.
 */
export async function mayDecide(deps: Deps, proposal: Proposal, approvers: ApproverPolicy, user: string): Promise<ApproverCheck> {
  const members = new Map<string, string[]>();
  for (const g of approvers.groups) {
    try {
      members.set(g, await deps.directory.groupMembers(g));
    } catch (err) {
      deps.log.warn({ err, group: g, proposalId: proposal.id }, 'cannot list user group members');
    }
  }
  return checkApprover(user, proposal.requestedBy, approvers, members, await onCallFacts(deps, approvers, user, members));
}

/** Asks PagerDuty who is on call only when the cheaper rules did not already decide. */
async function onCallFacts(deps: Deps, policy: ApproverPolicy, user: string, members: ReadonlyMap<string, readonly string[]>): Promise<OnCallFacts> {
  const ref = policy.pagerduty;
  if (!ref || ref.schedules.length + ref.escalationPolicies.length === 0) return { kind: 'not_configured' };
  if (policy.users.includes(user) || policy.groups.some((g) => members.get(g)?.includes(user))) return { kind: 'not_configured' };
  if (!deps.pager) return { kind: 'unavailable', reason: 'PagerDuty is not configured (PAGERDUTY_TOKEN)' };
  try {
    const [onCall, userEmail] = await Promise.all([deps.pager.onCall(ref), deps.directory.userEmail(user)]);
    return { kind: 'known', onCallEmails: onCall.map((u) => u.email), userEmail };
  } catch (err) {
    deps.log.warn({ err, user }, 'cannot resolve the PagerDuty on-call');
    return { kind: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
  }
}
