import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { carryOut } from './carry-out.js';

/**
 * Executes an approved proposal. The approved → executing compare-and-swap is the
 * one gate: only the writer that wins it calls the adapter, so a rollback runs at most
 * once per approval however many clicks, retries or workers race here.
 */
export async function executeProposal(deps: Deps, proposalId: string): Promise<void> {
  const started = applyTransition(deps, proposalId, { type: 'start_execution' }, 'backstop');
  if (!started.ok) return;
  const p = started.proposal;
  const adapter = deps.adapter(p.service);
  const log = deps.log.child({ proposalId, incidentId: p.incidentId, service: p.service, adapter: adapter.kind });
  const plan = await adapter.plan(p.toVersion).catch((err: unknown) => ({ steps: [`plan unavailable: ${String(err)}`] }));
  log.info({ plan: plan.steps }, 'executing rollback');
  let outcome;
  try {
    outcome = await adapter.execute({ to: p.toVersion, idempotencyKey: p.id, actor: p.approvals.map((a) => a.user).join(','), reason: p.reason });
  } catch (err) {
    outcome = { ok: false as const, retryable: false, message: err instanceof Error ? err.message : String(err) };
  }
  const details = { plan: plan.steps };
  const done = outcome.ok
    ? applyTransition(deps, proposalId, { type: 'execution_succeeded', detail: outcome.detail }, 'backstop', details)
    : applyTransition(deps, proposalId, { type: 'execution_failed', detail: outcome.message }, 'backstop', details);
  log.info({ ok: outcome.ok }, 'rollback execution finished');
  if (done.ok) carryOut(deps, proposalId, done.effects);
}
