import { whoMayApprove } from '../domain/approval.js';
import { overallVerdict } from '../domain/sli.js';
import type { Proposal } from '../domain/proposal.js';
import type { ExecuteOutcome } from '../ports/rollback-adapter.js';
import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { carryOut } from './carry-out.js';
import { writePostmortemIfDue } from './resolve-incident.js';
import { takeSnapshot } from './take-snapshot.js';

/**
 * Executes an approved proposal. The approved → executing compare-and-swap is the
 * one gate: only the writer that wins it calls the adapter, so a rollback runs at most
 * once per approval however many clicks, retries or workers race here. Retryable
 * failures (timeouts, 5xx) are retried with backoff, always with the same idempotency key.
 */
export async function executeProposal(deps: Deps, proposalId: string): Promise<void> {
  const started = applyTransition(deps, proposalId, { type: 'start_execution' }, 'backstop');
  if (!started.ok) return;
  await performExecution(deps, started.proposal);
}

/** Calls the adapter for a proposal this process moved to `executing` (or found there, never attempted, after a restart). */
export async function performExecution(deps: Deps, p: Proposal): Promise<void> {
  const proposalId = p.id;
  const adapter = deps.adapter(p.service);
  const log = deps.log.child({ proposalId, incidentId: p.incidentId, service: p.service, adapter: adapter.kind });
  const plan = await adapter.plan(p.toVersion).catch((err: unknown) => ({ steps: [`plan unavailable: ${err instanceof Error ? err.message : String(err)}`] }));
  log.info({ plan: plan.steps }, 'executing rollback');
  deps.store.tx(() => deps.store.executions.start(proposalId, deps.clock.now().toISOString()));

  const request = { to: p.toVersion, idempotencyKey: p.id, actor: p.approvals.map((a) => a.user).join(','), reason: p.reason };
  const svc = deps.service(p.service);
  let outcome: ExecuteOutcome;
  if (svc?.stages && adapter.shiftTraffic) {
    // Staged: move part of the traffic, re-measure, and only go on if it helped.
    const shift = adapter.shiftTraffic.bind(adapter);
    outcome = { ok: false, retryable: false, message: 'no stage ran' };
    for (const percent of svc.stages) {
      outcome = await withRetries(deps, p, () => shift({ ...request, idempotencyKey: `${p.id}:${percent}`, percent }));
      if (!outcome.ok || percent === 100) break;
      await deps.clock.sleep(svc.settle);
      const readings = await takeSnapshot(deps, svc, { baselineAt: new Date(Date.parse(p.createdAt) - svc.baselineOffset), currentVersion: p.toVersion, baselineVersion: p.toVersion });
      if (overallVerdict(readings) !== 'ok') {
        applyTransition(deps, proposalId, { type: 'stage_halted', percent, readings }, 'backstop', { sli: readings });
        deps.store.tx(() => deps.store.executions.finish(proposalId, deps.clock.now().toISOString(), 'failed', `halted at ${percent}%`));
        await writePostmortemIfDue(deps, p.incidentId);
        return;
      }
      applyTransition(deps, proposalId, { type: 'stage_done', percent, readings }, 'backstop', { sli: readings });
    }
  } else {
    outcome = await withRetries(deps, p, () => adapter.execute(request));
  }

  if (outcome.ok) deps.checkpoint?.('executed-unrecorded');
  const attempts = deps.store.executions.get(proposalId)?.attempts ?? 1;
  const details = { plan: plan.steps, attempts };
  let done;
  if (outcome.ok) {
    done = applyTransition(deps, proposalId, { type: 'execution_succeeded', detail: outcome.detail }, 'backstop', details);
  } else {
    const page = svc ? ` cc ${whoMayApprove(svc.approvers)}` : '';
    const detail = `${outcome.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})${page}`;
    done = applyTransition(deps, proposalId, { type: 'execution_failed', detail }, 'backstop', details);
  }
  deps.store.tx(() => deps.store.executions.finish(proposalId, deps.clock.now().toISOString(), outcome.ok ? 'succeeded' : 'failed', outcome.ok ? null : outcome.message));
  log.info({ ok: outcome.ok, attempts }, 'rollback execution finished');
  if (done.ok) carryOut(deps, proposalId, done.effects);
}

/** One adapter call with bounded, backed-off retries of retryable failures; attempts are recorded. */
async function withRetries(deps: Deps, p: Proposal, call: () => Promise<ExecuteOutcome>): Promise<ExecuteOutcome> {
  const { executeAttempts, executeBackoff } = deps.policy.defaults;
  let outcome: ExecuteOutcome = { ok: false, retryable: false, message: 'not attempted' };
  for (let attempt = 1; attempt <= executeAttempts; attempt++) {
    deps.store.tx(() => deps.store.executions.attempt(p.id, deps.clock.now().toISOString()));
    deps.checkpoint?.('executing');
    try {
      outcome = await call();
    } catch (err) {
      // A throwing adapter is a bug or an unclassified failure: do not hammer the target.
      outcome = { ok: false, retryable: false, message: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.ok || !outcome.retryable || attempt === executeAttempts) break;
    const wait = executeBackoff * 2 ** (attempt - 1);
    deps.log.warn({ proposalId: p.id, attempt, wait, error: outcome.message }, 'rollback attempt failed; retrying');
    const message = outcome.message;
    deps.store.tx(() => deps.store.executions.failedAttempt(p.id, message));
    await deps.clock.sleep(wait);
  }
  return outcome;
}
