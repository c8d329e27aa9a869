/**
 * Replays recorded SLI data through the bot's own analysis: the real Store (in-memory SQLite),
 * AnalysisScheduler, AutoExecuteTimers, judges, streaks, guards and proposal code, on a virtual
 * clock that jumps from one timer to the next. Only the edges are replaced: SLIs come from the
 * recording, the rollback target is a local registry holding the deploy, Slack only records.
 */
import { randomBytes } from 'node:crypto';
import { LocalRegistryAdapter } from '../adapters/local-registry/adapter.js';
import { LocalRegistry } from '../adapters/local-registry/registry.js';
import { AnalysisScheduler } from '../app/analysis-scheduler.js';
import { AutoExecuteTimers } from '../app/auto-execute-timers.js';
import type { Deps } from '../app/deps.js';
import { autoExecuteDue, expireProposals } from '../app/expire-proposals.js';
import { OutboxDrainer } from '../slack/outbox-drainer.js';
import { resolveService, type Policy } from '../config/policy.js';
import { composeDeps } from '../compose-deps.js';
import { createLogger, type Logger } from '../log/logger.js';
import { TaskTracker } from '../runtime/task-tracker.js';
import { VirtualClock } from '../runtime/virtual-clock.js';
import { openDb } from '../store/db.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Store } from '../store/store.js';
import { emptyDirectory, RecordingChat, type RecordedPost } from './recording-chat.js';
import { ReplaySliSource } from './replay-source.js';
import { readOutcome, type BacktestEvent, type BacktestMeasurement, type Decision } from './outcome.js';
import { SliTimeline, type SeriesRow } from './series.js';

export interface BacktestInput {
  policy: Policy;
  service: string;
  /** Every recorded row: pre-deploy (baseline) and post-deploy, any order. */
  rows: readonly SeriesRow[];
  deployAt: Date;
  /** Where the replay stops (default: the last recorded row). */
  end?: Date;
  /** Version names in the simulated registry. */
  versions?: { previous?: string; deployed?: string };
  log?: Logger;
}

export interface BacktestResult {
  service: string;
  mode: 'propose' | 'automatic';
  intervalMs: number;
  deployAt: string;
  end: string;
  versions: { older: string; previous: string; deployed: string };
  events: BacktestEvent[];
  measurements: BacktestMeasurement[];
  /** Every audit row the bot wrote, in order: what it decided and said. */
  decisions: Decision[];
  /** What would have been posted to Slack. */
  posted: RecordedPost[];
}

/** Production's safety-net sweep (expiry, overdue automatic rollbacks) runs this often (bootstrap's default). */
const SWEEP_MS = 15_000;
const DAY = 86_400_000;

export class BacktestError extends Error {}

export async function runBacktest(input: BacktestInput): Promise<BacktestResult> {
  const name = input.service;
  const own = input.policy.services[name];
  if (!own) throw new BacktestError(`service "${name}" is not in the policy (it has: ${Object.keys(input.policy.services).join(', ')})`);
  // Only this service: the others have no recording and would be measured blind.
  const policy: Policy = { ...input.policy, services: { [name]: own } };
  const svc = resolveService(policy, name)!;
  const decision = svc.decision;
  if (!decision) throw new BacktestError(`services.${name} has no \`decision:\` block, so Backstop never analyses it on its own; add one (e.g. \`decision: { mode: propose }\`) to backtest it`);
  const deployMs = input.deployAt.getTime();
  const endMs = input.end?.getTime() ?? input.rows.reduce((m, r) => Math.max(m, r.at), -Infinity);
  if (!(endMs > deployMs)) throw new BacktestError(`nothing recorded after the deploy at ${input.deployAt.toISOString()}: the series must have rows after --deploy-at`);

  const deployed = input.versions?.deployed ?? 'deployed';
  const previous = input.versions?.previous ?? 'previous';
  const older = `before-${previous}`;
  const clock = new VirtualClock(deployMs - 2 * DAY);
  const db = openDb(':memory:');
  try {
    // A fresh key per run: the trail is sealed like production's and thrown away after.
    const store = new Store(db, { auditKey: randomBytes(32).toString('hex'), auditHead: null });
    const port = new SqliteStore(store);
    const registry = new LocalRegistry(db, clock);
    // Two releases before the deploy, so a second trigger after a rollback still has a target and meets the guards.
    for (const v of [older, previous, deployed]) registry.register(name, v, { source: `backtest://${name}/${v}` });
    registry.promote(name, older, { actor: 'backtest', reason: 'an earlier release' });
    clock.advance(DAY);
    registry.promote(name, previous, { actor: 'backtest', reason: 'the release before the deploy (last good)' });
    clock.advanceTo(deployMs);
    registry.promote(name, deployed, { actor: 'backtest', reason: 'the deploy being backtested' });
    const adapter = new LocalRegistryAdapter(registry, { model: name, alias: 'production' });

    const byName = new Map<string, SeriesRow[]>();
    for (const r of input.rows) {
      const list = byName.get(r.sli) ?? [];
      list.push(r);
      byName.set(r.sli, list);
    }
    const source = new ReplaySliSource(new Map([...byName].map(([k, rows]) => [k, new SliTimeline(rows)])));
    const chat = new RecordingChat(clock);
    const log = input.log ?? createLogger({ level: 'silent' });
    const tasks = new TaskTracker(log);
    let n = 0;
    const deps: Deps = composeDeps({
      store: port, policy, clock, tasks, log, chat, directory: emptyDirectory,
      // A replay writes nothing to disk: the postmortem is kept in the audit trail only.
      postmortems: { write: async (incident) => `(backtest: postmortem of ${incident.id} not written)` },
      // Counted ids: the same data always gives the same output.
      ids: { next: (prefix) => `${prefix}-${++n}` },
      buildAdapter: () => adapter,
      sliSources: { static: source, prometheus: source },
      kickOutbox: () => drainer.kick(),
    });
    const drainer = new OutboxDrainer(deps, { channelIntervalMs: 0, channelBurst: 1 });
    const autoTimers = new AutoExecuteTimers(deps);
    deps.armAutoExecute = (id, at) => autoTimers.arm(id, at);
    const analysis = new AnalysisScheduler(deps);

    // Wired and started as bootstrap.ts does, on the virtual clock.
    await autoTimers.armPending();
    let stopSweep = () => {};
    const sweep = () => {
      tasks.run('sweep', async () => {
        await autoExecuteDue(deps);
        await expireProposals(deps);
      });
      stopSweep = clock.at(new Date(clock.now().getTime() + SWEEP_MS), sweep);
    };
    stopSweep = clock.at(new Date(deployMs + SWEEP_MS), sweep);
    analysis.start();

    for (let next = clock.nextDue(); next !== undefined && next <= endMs; next = clock.nextDue()) {
      clock.advanceTo(next);
      await settle(tasks, clock);
    }
    analysis.stop();
    autoTimers.stop();
    stopSweep();
    await settle(tasks, clock);
    drainer.stop();

    const outcome = readOutcome(store, svc);
    return {
      service: name, mode: decision.mode, intervalMs: decision.interval,
      deployAt: input.deployAt.toISOString(), end: new Date(endMs).toISOString(),
      versions: { older, previous, deployed },
      ...outcome,
      posted: chat.posts,
    };
  } finally {
    db.close();
  }
}

/**
 * Lets everything the last timers started run until it finishes or waits on the virtual clock
 * (a settle, a read-back poll). Everything in a replay is in memory, so only promise chains
 * are left to run; they are done when the tasks and armed timers stop changing.
 */
async function settle(tasks: TaskTracker, clock: VirtualClock): Promise<void> {
  let last = '';
  let same = 0;
  for (let i = 0; i < 1000 && same < 2; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const now = `${tasks.busy}:${clock.pending}`;
    same = now === last ? same + 1 : 0;
    last = now;
  }
}
