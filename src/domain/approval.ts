import { group, joinSaid, said, user, type Said } from './said.js';

/**
 * Who may approve a proposal. Group membership and the PagerDuty on-call are resolved by the
 * caller (through ports), so this stays a pure rule over plain data.
 */
export interface ApproverPolicy {
  users: readonly string[];
  groups: readonly string[];
  pagerduty?: { schedules: readonly string[]; escalationPolicies: readonly string[] };
}

/** What the caller learned about the PagerDuty on-call for this check. */
export type OnCallFacts =
  | { kind: 'not_configured' }
  | { kind: 'known'; onCallEmails: readonly string[]; userEmail: string | null }
  | { kind: 'unavailable'; reason: string };

export type ApproverCheck =
  | { ok: true; via: 'user' | 'group' | 'oncall' }
  | { ok: false; code: 'requester_cannot_approve' | 'not_an_approver'; message: Said };

export function checkApprover(
  user: string,
  requestedBy: string,
  policy: ApproverPolicy,
  groupMembers: ReadonlyMap<string, readonly string[]>,
  onCall: OnCallFacts = { kind: 'not_configured' },
): ApproverCheck {
  if (user === requestedBy) {
    return { ok: false, code: 'requester_cannot_approve', message: said`You requested this rollback, so you cannot approve it. Ask ${whoMayApprove(policy)}.` };
  }
  if (policy.users.includes(user)) return { ok: true, via: 'user' };
  for (const g of policy.groups) {
    if (groupMembers.get(g)?.includes(user)) return { ok: true, via: 'group' };
  }
  if (onCall.kind === 'known' && onCall.userEmail && onCall.onCallEmails.includes(onCall.userEmail.toLowerCase())) return { ok: true, via: 'oncall' };
  return { ok: false, code: 'not_an_approver', message: said`You are not an approver for this service${onCallReason(onCall)}. Approvers: ${whoMayApprove(policy)}.` };
}

function onCallReason(onCall: OnCallFacts): string {
  switch (onCall.kind) {
    case 'not_configured':
      return '';
    case 'unavailable':
      return ` (the PagerDuty on-call could not be checked: ${onCall.reason})`;
    case 'known':
      if (!onCall.userEmail) return ' (Backstop cannot see your Slack e-mail, so it cannot match you to the PagerDuty on-call)';
      return ` (${onCall.userEmail} is not on call in PagerDuty now${onCall.onCallEmails.length ? `; on call: ${onCall.onCallEmails.join(', ')}` : ''})`;
  }
}

/** Every approver, e.g. "U1, U2 or members of S1" with the people as mentions. */
export function whoMayApprove(policy: ApproverPolicy): Said {
  const names: Said[] = [...policy.users.map((u) => [user(u)]), ...policy.groups.map((g) => said`members of ${group(g)}`)];
  if (policy.pagerduty && policy.pagerduty.schedules.length + policy.pagerduty.escalationPolicies.length > 0) names.push(['whoever is on call in PagerDuty']);
  if (names.length === 0) return ['nobody (no approvers configured)'];
  return joinSaid(names, ', ', ' or ');
}
