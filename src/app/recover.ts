import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { carryOut } from './carry-out.js';
import { performExecution } from './execute-rollback.js';
import { proposeRollback } from './propose-rollback.js';

/**
 * Start-up reconciliation from SQLite: finish what a killed process left half done,
 * never running an execution twice.
 */
export async function recover(deps: Deps): Promise<void> {
  for (const p of deps.store.proposals.inState('approved')) carryOut(deps, p.id, [{ type: 'execute' }]);
  for (const p of deps.store.proposals.inState('executed')) carryOut(deps, p.id, [{ type: 'verify' }]);
  for (const p of deps.store.proposals.inState('executing')) {
    const exec = deps.store.executions.get(p.id);
    if (!exec || exec.attempts === 0) {
      // Killed before the adapter was ever called: running it now is the first run, not a second.
      deps.tasks.run(`execute ${p.id}`, () => performExecution(deps, p));
      continue;
    }
    // The adapter may or may not have acted: ask the target instead of running it again.
    let current: string | null = null;
    try {
      current = (await deps.adapter(p.service).versions()).current;
    } catch (err) {
      deps.log.warn({ err, proposalId: p.id }, 'cannot read target during recovery');
    }
    const r = current === p.toVersion
      ? applyTransition(deps, p.id, { type: 'execution_succeeded', detail: `found ${p.toVersion} serving after a restart` }, 'backstop')
      : applyTransition(deps, p.id, { type: 'execution_failed', detail: `Backstop restarted during execution and the target reports ${current ?? 'unknown'}; not retried automatically, check it by hand` }, 'backstop');
    deps.store.tx(() => deps.store.executions.finish(p.id, deps.clock.now().toISOString(), 'reconciled', current === p.toVersion ? null : `interrupted; target reports ${current ?? 'unknown'}`));
    if (r.ok) carryOut(deps, p.id, r.effects);
  }
  for (const incident of deps.store.incidents.listOpen()) {
    const proposals = deps.store.proposals.forIncident(incident.id);
    if (proposals.length === 0 && deps.store.alerts.firingCount(incident.id) > 0) {
      deps.tasks.run(`propose ${incident.id}`, () => proposeRollback(deps, incident.id, { requestedBy: 'alert', reason: 'alert firing (resumed after restart)' }));
    }
  }
}
