import { overallVerdict } from '../domain/sli.js';
import type { Proposal } from '../domain/proposal.js';
import type { ExecuteOutcome, ExecuteRequest } from '../ports/rollback-adapter.js';
import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { measureSlis, proposalBaselineAt } from './measure-slis.js';
import { recordStep } from './record-step.js';
import { writePostmortemIfDue } from './resolve-incident.js';
import { verifyRollback } from './verify-rollback.js';

/**
 * Executes an approved proposal. The approved → executing compare-and-swap is the
 * one gate: only the writer that wins it calls the adapter, so a rollback runs at most
 * once per approval however many clicks, retries or workers race here. Retryable
 * failures (timeouts, 5xx) are retried with backoff, always with the same idempotency key.
 */
export async function executeProposal(deps: Deps, proposalId: string): Promise<void> {
  const started = await applyTransition(deps, proposalId, { type: 'start_execution' }, 'backstop', {}, (r) => r.executions.start(proposalId, deps.clock.now().toISOString()));
  if (!started.ok) return;
  await performExecution(deps, started.proposal);
}

/** Calls the adapter for a proposal this process moved to `executing` (or found there, never attempted, after a restart). */
export async function performExecution(deps: Deps, p: Proposal): Promise<void> {
  const proposalId = p.id;
  const adapter = deps.adapter(p.service);
  const log = deps.log.child({ proposalId, incidentId: p.incidentId, service: p.service, adapter: adapter.kind });
  const steps = p.plan?.steps ?? (await adapter.plan(p.toVersion).catch((err: unknown) => ({ steps: [`plan unavailable: ${err instanceof Error ? err.message : String(err)}`] }))).steps;
  log.info({ plan: steps, expectedFrom: p.fromVersion }, 'executing rollback');
  await deps.store.executions.start(proposalId, deps.clock.now().toISOString());

  // The version people saw serving travels with the request: a target that moved since is refused.
  const request: ExecuteRequest = {
    to: p.toVersion, expectedFrom: p.fromVersion, idempotencyKey: p.id, actor: p.approvals.map((a) => a.user).join(','), reason: p.reason,
    ...(p.plan?.basis !== undefined ? { planned: p.plan.basis } : {}),
  };
  const svc = deps.service(p.service);
  let outcome: ExecuteOutcome;
  if (svc?.stages && adapter.shiftTraffic) {
    // Staged: move part of the traffic, re-measure, and only go on if it helped.
    const shift = adapter.shiftTraffic.bind(adapter);
    outcome = { ok: false, retryable: false, message: 'no stage ran' };
    for (const percent of svc.stages) {
      outcome = await withRetries(deps, p, `${percent}% step`, () => shift({ ...request, idempotencyKey: `${p.id}:${percent}`, percent }));
      if (!outcome.ok || percent === 100) break;
      await deps.clock.sleep(svc.settle);
      const readings = await measureSlis(deps, svc, { baselineAt: proposalBaselineAt(deps, p), currentVersion: p.toVersion, baselineVersion: p.toVersion, currentSince: deps.clock.now() });
      if (overallVerdict(readings) !== 'ok') {
        const at = deps.clock.now().toISOString();
        await applyTransition(deps, proposalId, { type: 'stage_halted', percent, readings }, 'backstop', { sli: readings }, (r) => r.executions.finish(proposalId, at, 'failed', `halted at ${percent}%`));
        await writePostmortemIfDue(deps, p.incidentId);
        return;
      }
      await applyTransition(deps, proposalId, { type: 'stage_done', percent, readings }, 'backstop', { sli: readings });
    }
  } else {
    outcome = await withRetries(deps, p, 'rollback', () => adapter.execute(request));
  }

  if (outcome.ok) deps.checkpoint?.('executed-unrecorded');
  const attempts = (await deps.store.executions.get(proposalId))?.attempts ?? 1;
  const details = { plan: steps, attempts };
  const at = deps.clock.now().toISOString();
  let done;
  if (outcome.ok) {
    done = await applyTransition(deps, proposalId, { type: 'execution_succeeded', detail: outcome.detail }, 'backstop', details, (r) => r.executions.finish(proposalId, at, 'succeeded', null));
  } else if (outcome.code === 'target_moved') {
    const current = outcome.current ?? null;
    const message = outcome.message;
    done = await applyTransition(deps, proposalId, { type: 'target_moved', current, detail: message, ...(svc ? { notify: svc.approvers } : {}) }, 'backstop', { ...details, current }, (r) => r.executions.finish(proposalId, at, 'failed', message));
    log.warn({ current, expectedFrom: p.fromVersion }, 'target moved since the proposal; nothing executed');
  } else {
    const detail = `${outcome.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
    const message = outcome.message;
    done = await applyTransition(deps, proposalId, { type: 'execution_failed', detail, ...(svc ? { notify: svc.approvers } : {}) }, 'backstop', details, (r) => r.executions.finish(proposalId, at, 'failed', message));
  }
  log.info({ ok: outcome.ok, attempts }, 'rollback execution finished');
  // Execution flows on to verification only: never back through the dispatcher.
  if (done.ok && done.effects.some((e) => e.type === 'verify')) deps.tasks.run(`verify ${proposalId}`, () => verifyRollback(deps, proposalId));
}

/**
 * One adapter call with bounded, backed-off retries of retryable failures. Every failed attempt
 * is an audit row and a thread line, so people see a struggling target while it struggles.
 */
async function withRetries(deps: Deps, p: Proposal, what: string, call: () => Promise<ExecuteOutcome>): Promise<ExecuteOutcome> {
  const { executeAttempts, executeBackoff } = deps.policy.defaults;
  let outcome: ExecuteOutcome = { ok: false, retryable: false, message: 'not attempted' };
  for (let attempt = 1; attempt <= executeAttempts; attempt++) {
    await deps.store.executions.attempt(p.id, deps.clock.now().toISOString());
    deps.checkpoint?.('executing');
    try {
      outcome = await call();
    } catch (err) {
      // A throwing adapter is a bug or an unclassified failure: do not hammer the target.
      outcome = { ok: false, retryable: false, message: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.ok || outcome.code === 'target_moved') break;
    const last = !outcome.retryable || attempt === executeAttempts;
    const wait = executeBackoff * 2 ** (attempt - 1);
    const message = outcome.message;
    const retryable = outcome.retryable;
    deps.log.warn({ proposalId: p.id, attempt, wait: last ? null : wait, error: message }, 'rollback attempt failed');
    await deps.store.tx(async (r) => {
      await r.executions.failedAttempt(p.id, message);
      await recordStep(deps, r, {
        incidentId: p.incidentId, proposalId: p.id, actor: 'backstop',
        fact: { action: 'execution.attempt_failed', what, attempt, of: executeAttempts, error: message, next: !last ? 'retry' : retryable ? 'exhausted' : 'refused', retryInMs: last ? null : wait },
        details: { attempt, of: executeAttempts, retryable, error: message, retryInMs: last ? null : wait },
      });
    });
    deps.kickOutbox();
    if (last) break;
    await deps.clock.sleep(wait);
  }
  return outcome;
}
