import { checkApprover } from '../domain/approval.js';
import { joinSaid, said, user as mention, type Said } from '../domain/said.js';
import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { carryOut } from './carry-out.js';
import { proposeRollback, type ProposeResult } from './propose-rollback.js';

/** What to tell the person who asked; Said, because it may name people. */
export type Result = { ok: true; message: Said } | { ok: false; code: string; message: Said };

/** Stop on an automatic proposal: any approver of the service may press it. */
export async function stopAutomatic(deps: Deps, proposalId: string, user: string): Promise<Result> {
  const p = await deps.store.proposals.get(proposalId);
  const svc = p && deps.service(p.service);
  if (!p || !svc) return { ok: false, code: 'not_found', message: [`No proposal ${proposalId}.`] };
  const members = new Map<string, string[]>();
  for (const g of svc.approvers.groups) members.set(g, await deps.directory.groupMembers(g).catch(() => []));
  // The policy is the requester of an automatic proposal, so every approver may stop it.
  const check = checkApprover(user, 'policy', svc.approvers, members);
  if (!check.ok) return { ok: false, code: check.code, message: check.message };
  const r = await applyTransition(deps, proposalId, { type: 'stop', user }, user);
  return r.ok ? { ok: true, message: ['Stopped: the automatic rollback will not run.'] } : { ok: false, code: r.code, message: [r.message] };
}

/** Break-glass: a configured admin executes without the full quorum, with a written reason. */
export async function breakGlass(deps: Deps, service: string, user: string, reason: string): Promise<Result> {
  if (!deps.policy.admins.includes(user)) {
    const admins = deps.policy.admins.length ? joinSaid(deps.policy.admins.map((u) => [mention(u)]), ', ') : ['none configured'];
    return { ok: false, code: 'not_admin', message: said`Only break-glass admins may do this (${admins}).` };
  }
  const live = await deps.store.proposals.liveFor(service);
  if (!live || live.state !== 'pending') return { ok: false, code: 'nothing_pending', message: [`No pending rollback proposal for ${service}.`] };
  const r = await applyTransition(deps, live.id, { type: 'break_glass', user, reason }, user, { breakGlass: true });
  if (!r.ok) return { ok: false, code: r.code, message: [r.message] };
  carryOut(deps, live.id, r.effects);
  return { ok: true, message: [`Break-glass recorded; rolling back ${service} to ${live.toVersion}. This is announced, audited and flagged in the postmortem.`] };
}

/** After a rollback that did not help: propose going back to the version rolled back from. */
export async function rollForward(deps: Deps, proposalId: string, user: string): Promise<ProposeResult> {
  const p = await deps.store.proposals.get(proposalId);
  if (!p || p.state !== 'not_recovered' || !p.fromVersion) return { ok: false, code: 'no_target', message: 'Roll forward is offered only after a rollback that did not help.' };
  return proposeRollback(deps, p.incidentId, { requestedBy: user, reason: `roll forward to ${p.fromVersion}: rolling back to ${p.toVersion} did not help`, target: { from: p.toVersion, to: p.fromVersion }, trigger: 'person' });
}
