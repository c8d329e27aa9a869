/**
 * Who may approve a proposal. Group membership is resolved by the caller (a port),
 * so this stays a pure rule over plain data.
 */
export interface ApproverPolicy {
  users: readonly string[];
  groups: readonly string[];
}

export type ApproverCheck =
  | { ok: true; via: 'user' | 'group' }
  | { ok: false; code: 'requester_cannot_approve' | 'not_an_approver'; message: string };

export function checkApprover(
  user: string,
  requestedBy: string,
  policy: ApproverPolicy,
  groupMembers: ReadonlyMap<string, readonly string[]>,
): ApproverCheck {
  if (user === requestedBy) {
    return { ok: false, code: 'requester_cannot_approve', message: `You requested this rollback, so you cannot approve it. Ask ${whoMayApprove(policy)}.` };
  }
  if (policy.users.includes(user)) return { ok: true, via: 'user' };
  for (const g of policy.groups) {
    if (groupMembers.get(g)?.includes(user)) return { ok: true, via: 'group' };
  }
  return { ok: false, code: 'not_an_approver', message: `You are not an approver for this service. Approvers: ${whoMayApprove(policy)}.` };
}

/** Slack mrkdwn naming every approver, e.g. "<@U1>, <@U2> or members of <!subteam^S1>". */
export function whoMayApprove(policy: ApproverPolicy): string {
  const names = [...policy.users.map((u) => `<@${u}>`), ...policy.groups.map((g) => `members of <!subteam^${g}>`)];
  if (names.length <= 1) return names[0] ?? 'nobody (no approvers configured)';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
