import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { measureSlis, proposalBaselineAt } from './measure-slis.js';
import { awaitReadBack } from './read-back.js';
import { writePostmortemIfDue } from './resolve-incident.js';

/**
 * Verification is read-back plus SLIs: first the target must report the approved version
 * (polled over the service's read-back window), then, after the settle time, every SLI is
 * measured against the proposal's own pre-deploy baseline. Only both together are "Verified".
 */
export async function verifyRollback(deps: Deps, proposalId: string): Promise<void> {
  const p = await deps.store.proposals.get(proposalId);
  if (!p || p.state !== 'executed') return;
  const svc = deps.service(p.service);
  if (!svc) return;
  deps.checkpoint?.('verifying');
  const readBack = await awaitReadBack(deps.clock, deps.adapter(p.service), p.toVersion, { timeoutMs: svc.readBackTimeout, intervalMs: svc.readBackInterval });
  // SLIs of a target still on the old version say nothing about the rollback: do not measure them as if.
  const measure = readBack.status === 'confirmed' || readBack.status === 'unsupported';
  const rolledBackAt = deps.clock.now();
  if (measure) await deps.clock.sleep(svc.settle);
  const readings = measure
    ? await measureSlis(deps, svc, {
      baselineAt: proposalBaselineAt(deps, p),
      // Static SLIs are read at what the target reports, never at what was asked for.
      currentVersion: readBack.status === 'confirmed' ? readBack.version : null,
      baselineVersion: p.toVersion,
      currentSince: rolledBackAt,
      sparkline: true,
    })
    : [];
  const { polls, ...rb } = readBack;
  const r = await applyTransition(deps, proposalId, { type: 'verification', readings, readBack: rb }, 'backstop', { sli: readings, readBack: rb, readBackPolls: polls });
  if (!r.ok) return;
  if (r.proposal.state !== 'verified') deps.log.warn({ proposalId, readBack: rb, state: r.proposal.state }, 'rollback not verified');
  const pagerDutyIncident = await deps.store.incidents.pagerDutyIncident(p.incidentId);
  if (r.proposal.state === 'verified' && pagerDutyIncident && deps.policy.pagerduty.resolveAfterVerified) {
    await deps.store.tx((tx) => tx.outbox.enqueue('pagerduty_resolve', { incidentId: p.incidentId }, { text: pagerDutyIncident }, deps.clock.now().toISOString()));
    deps.kickOutbox();
  }
  await writePostmortemIfDue(deps, p.incidentId);
}
