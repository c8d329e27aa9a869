import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canResolve } from '../domain/incident.js';
import { renderPostmortem } from '../domain/postmortem.js';
import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { recordStep } from './record-step.js';

export type ResolveResult = { ok: true; message: string } | { ok: false; code: string; message: string };

/**
 * Resolves an incident (its alerts resolved, or a person said so). A pending proposal is
 * withdrawn; a rollback still in flight finishes first and the postmortem follows it.
 */
export async function resolveIncident(deps: Deps, incidentId: string, by: { kind: 'alerts' } | { kind: 'person'; user: string }): Promise<ResolveResult> {
  const actor = by.kind === 'alerts' ? 'alertmanager' : by.user;
  const outcome = deps.store.tx((): ResolveResult => {
    const incident = deps.store.incidents.get(incidentId);
    if (!incident) return { ok: false, code: 'not_found', message: `No incident ${incidentId}.` };
    const check = canResolve(incident, deps.store.alerts.firingCount(incidentId), by.kind === 'alerts' ? 'alerts' : 'person');
    if (!check.ok) return check;
    if (!deps.store.incidents.resolve(incidentId, deps.clock.now().toISOString(), actor)) {
      return { ok: false, code: 'already_resolved', message: `Incident ${incidentId} is already resolved.` };
    }
    const proposal = deps.store.proposals.forIncident(incidentId).at(-1);
    recordStep(deps, {
      incidentId, proposalId: proposal?.id ?? null, actor,
      fact: { action: 'incident.resolved', by: by.kind === 'alerts' ? { kind: 'alerts' } : { kind: 'user', user: by.user } },
    });
    return { ok: true, message: `Incident ${incidentId} resolved.` };
  });
  deps.kickOutbox();
  if (!outcome.ok) return outcome;
  for (const p of deps.store.proposals.forIncident(incidentId)) {
    if (p.state === 'pending') applyTransition(deps, p.id, { type: 'cancel', reason: 'the incident was resolved before the rollback was approved' }, 'backstop');
  }
  await writePostmortemIfDue(deps, incidentId);
  return outcome;
}

/**
 * Writes the postmortem once the incident is resolved and no rollback is still in flight.
 * Called from both resolution and verification, whichever finishes last.
 */
export async function writePostmortemIfDue(deps: Deps, incidentId: string): Promise<string | undefined> {
  const incident = deps.store.incidents.get(incidentId);
  if (!incident || incident.status !== 'resolved' || incident.postmortemPath) return undefined;
  const proposals = deps.store.proposals.forIncident(incidentId);
  if (proposals.some((p) => p.state === 'approved' || p.state === 'executing' || p.state === 'executed')) return undefined;
  const audit = deps.store.audit.forIncident(incidentId);
  const markdown = renderPostmortem({ incident, proposals, audit, alertNames: deps.store.alerts.names(incidentId) });
  const dir = resolve(deps.policy.postmortemDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${incidentId}.md`);
  writeFileSync(file, markdown);
  const claimed = deps.store.tx(() => {
    // Only the first writer posts it, should resolution and verification finish together.
    if (deps.store.incidents.get(incidentId)?.postmortemPath) return false;
    deps.store.incidents.setPostmortemPath(incidentId, file);
    const last = proposals.at(-1);
    recordStep(deps, {
      incidentId, proposalId: last?.id ?? null, actor: 'backstop',
      fact: { action: 'postmortem.drafted', path: file, markdown },
      details: { path: file },
    });
    return true;
  });
  deps.kickOutbox();
  return claimed ? file : undefined;
}
