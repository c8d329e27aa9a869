import { canResolve } from '../domain/incident.js';
import type { Deps } from './deps.js';
import { transitionIn } from './apply-transition.js';
import { recordStep } from './record-step.js';
import { writePostmortemIfDue } from './draft-postmortem.js';

export { writePostmortemIfDue } from './draft-postmortem.js';

export type ResolveResult = { ok: true; message: string } | { ok: false; code: string; message: string };

export type ResolvedBy = { kind: 'alerts'; by?: string } | { kind: 'person'; user: string };

/**
 * Resolves an incident (its alerts resolved, or a person said so). A pending proposal is
 * withdrawn in the same transaction; a rollback still in flight finishes first and the
 * postmortem follows it.
 */
export async function resolveIncident(deps: Deps, incidentId: string, by: ResolvedBy): Promise<ResolveResult> {
  // Alerts resolve as the intake they came through (alertmanager, pagerduty, generic).
  const actor = by.kind === 'alerts' ? (by.by ?? 'alerts') : by.user;
  const outcome = await deps.store.tx(async (r): Promise<ResolveResult> => {
    const incident = await r.incidents.get(incidentId);
    if (!incident) return { ok: false, code: 'not_found', message: `No incident ${incidentId}.` };
    const check = canResolve(incident, await r.alerts.firingCount(incidentId), by.kind === 'alerts' ? 'alerts' : 'person');
    if (!check.ok) return check;
    if (!(await r.incidents.resolve(incidentId, deps.clock.now().toISOString(), actor))) {
      return { ok: false, code: 'already_resolved', message: `Incident ${incidentId} is already resolved.` };
    }
    const proposals = await r.proposals.forIncident(incidentId);
    await recordStep(deps, r, {
      incidentId, proposalId: proposals.at(-1)?.id ?? null, actor,
      fact: { action: 'incident.resolved', by: by.kind === 'alerts' ? { kind: 'alerts' } : { kind: 'user', user: by.user } },
    });
    for (const p of proposals) {
      if (p.state === 'pending') await transitionIn(deps, r, p.id, { type: 'cancel', reason: 'the incident was resolved before the rollback was approved' }, 'backstop');
    }
    return { ok: true, message: `Incident ${incidentId} resolved.` };
  });
  deps.kickOutbox();
  if (!outcome.ok) return outcome;
  await writePostmortemIfDue(deps, incidentId);
  return outcome;
}
