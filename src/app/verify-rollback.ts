import { overallVerdict } from '../domain/sli.js';
import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { writePostmortemIfDue } from './resolve-incident.js';
import { takeSnapshot } from './take-snapshot.js';

/** Waits the service's settle time, re-measures, and says verified or not recovered. */
export async function verifyRollback(deps: Deps, proposalId: string): Promise<void> {
  const p = deps.store.proposals.get(proposalId);
  if (!p || p.state !== 'executed') return;
  const svc = deps.service(p.service);
  if (!svc) return;
  deps.checkpoint?.('verifying');
  await deps.clock.sleep(svc.settle);
  const readings = await takeSnapshot(deps, svc, {
    baselineAt: new Date(Date.parse(p.createdAt) - svc.baselineOffset),
    currentVersion: p.toVersion,
    baselineVersion: p.toVersion,
  });
  // Only a clean bill of health counts: inconclusive is not recovered.
  const recovered = overallVerdict(readings) === 'ok';
  const r = applyTransition(deps, proposalId, { type: 'verification', readings, recovered }, 'backstop', { sli: readings });
  if (!r.ok) return;
  const pagerDutyIncident = deps.store.incidents.pagerDutyIncident(p.incidentId);
  if (recovered && pagerDutyIncident && deps.policy.pagerduty.resolveAfterVerified) {
    deps.store.tx(() => deps.store.outbox.enqueue('pagerduty_resolve', { incidentId: p.incidentId }, { text: pagerDutyIncident }, deps.clock.now().toISOString()));
    deps.kickOutbox();
  }
  await writePostmortemIfDue(deps, p.incidentId);
}
