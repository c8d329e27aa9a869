import type { Incident } from '../domain/incident.js';
import type { Deps } from './deps.js';
import { proposeRollback, type ProposeResult } from './propose-rollback.js';
import { recordStep } from './record-step.js';

/**
 * `/backstop rollback <service> <reason>`: joins the service's open incident or opens
 * one, then proposes. The requester is recorded and may not approve their own request.
 */
export async function requestRollback(deps: Deps, req: { service: string; user: string; reason: string }): Promise<ProposeResult> {
  const svc = deps.service(req.service);
  if (!svc) {
    const known = Object.keys(deps.policy.services).join(', ');
    return { ok: false, code: 'unknown_service', message: `Unknown service "${req.service}". Configured services: ${known}.` };
  }
  const live = await deps.store.proposals.liveFor(svc.name);
  if (live) return { ok: false, code: 'exists', message: `A rollback proposal for ${svc.name} is already ${live.state} (${live.id}).`, proposal: live };
  const incident = await deps.store.tx(async (r) => {
    const open = await r.incidents.openFor(svc.name);
    if (open) return open;
    const now = deps.clock.now().toISOString();
    const created: Incident = {
      id: deps.ids.next('inc'), service: svc.name, status: 'open', title: `Manual rollback: ${req.reason}`, severity: null,
      channelId: null, openedAt: now, resolvedAt: null, resolvedBy: null, postmortemPath: null,
    };
    await r.incidents.insert(created);
    await recordStep(deps, r, { incidentId: created.id, proposalId: null, actor: req.user, fact: { action: 'incident.opened', incidentId: created.id, service: svc.name, title: req.reason, by: { kind: 'user', user: req.user } } });
    return created;
  });
  return proposeRollback(deps, incident.id, { requestedBy: req.user, reason: req.reason });
}
