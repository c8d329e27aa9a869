import type { Proposal } from '../domain/proposal.js';
import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { carryOut } from './carry-out.js';
import { performExecution } from './execute-rollback.js';
import { proposeRollback } from './propose-rollback.js';
import { awaitReadBack } from './read-back.js';

/**
 * Start-up reconciliation: finish what a killed process left half done, never running an
 * execution twice. Runs as background tasks, so start-up does not wait on a slow target.
 */
export async function recover(deps: Deps): Promise<void> {
  for (const p of await deps.store.proposals.inState('approved')) carryOut(deps, p.id, [{ type: 'execute' }]);
  for (const p of await deps.store.proposals.inState('executed')) carryOut(deps, p.id, [{ type: 'verify' }]);
  for (const p of await deps.store.proposals.inState('executing')) {
    const exec = await deps.store.executions.get(p.id);
    if (!exec || exec.attempts === 0) {
      // Killed before the adapter was ever called: running it now is the first run, not a second.
      deps.tasks.run(`execute ${p.id}`, () => performExecution(deps, p));
      continue;
    }
    deps.tasks.run(`reconcile ${p.id}`, () => reconcile(deps, p));
  }
  for (const incident of await deps.store.incidents.listOpen()) {
    const proposals = await deps.store.proposals.forIncident(incident.id);
    if (proposals.length === 0 && (await deps.store.alerts.firingCount(incident.id)) > 0) {
      deps.tasks.run(`propose ${incident.id}`, () => proposeRollback(deps, incident.id, { requestedBy: 'alert', reason: 'alert firing (resumed after restart)' }));
    }
  }
}

/**
 * An execution cut off mid-request may still land: the target is read back over the service's
 * read-back window (not once), and is never asked to roll back again. Either way the approvers
 * are told what Backstop found.
 */
async function reconcile(deps: Deps, p: Proposal): Promise<void> {
  const svc = deps.service(p.service);
  const log = deps.log.child({ proposalId: p.id, service: p.service });
  log.warn('execution was interrupted by a restart; reading the target back instead of running it again');
  const rb = await awaitReadBack(deps.clock, deps.adapter(p.service), p.toVersion, { timeoutMs: svc?.readBackTimeout ?? 120_000, intervalMs: svc?.readBackInterval ?? 5_000 });
  const at = deps.clock.now().toISOString();
  const details = { readBack: { status: rb.status, version: rb.version, detail: rb.detail }, readBackPolls: rb.polls };
  const r = rb.status === 'confirmed'
    ? await applyTransition(deps, p.id, { type: 'execution_succeeded', detail: `Backstop restarted during execution; the target reports ${p.toVersion} (${rb.detail})` }, 'backstop', details,
      (tx) => tx.executions.finish(p.id, at, 'reconciled', null))
    : await applyTransition(deps, p.id, { type: 'execution_failed', detail: `Backstop restarted during execution and the target does not report ${p.toVersion} (${rb.detail}); not retried automatically, check it by hand`, ...(svc ? { notify: svc.approvers } : {}) }, 'backstop', details,
      (tx) => tx.executions.finish(p.id, at, 'reconciled', `interrupted; ${rb.detail}`));
  if (rb.status === 'confirmed') log.info({ readBack: rb }, 'interrupted execution had landed; verifying');
  else log.error({ readBack: rb }, 'interrupted execution did not land within the read-back window; approvers told');
  if (r.ok) carryOut(deps, p.id, r.effects);
}
