import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { RequestListener, Server } from 'node:http';
import { App, HTTPReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { CoordinatedAdapter } from './adapters/coordinated.js';
import { createAdapter } from './adapters/factory.js';
import type { Checkpoint } from './ports/checkpoint.js';
import { AnalysisScheduler } from './app/analysis-scheduler.js';
import { AutoExecuteTimers } from './app/auto-execute-timers.js';
import { ExpiryTimers } from './app/expiry-timers.js';
import { autoExecuteDue, expireProposals } from './app/expire-proposals.js';
import { OutboxDrainer, SLACK_PACING, type DrainerOptions } from './slack/outbox-drainer.js';
import { recover } from './app/recover.js';
import { postStatusUpdates } from './app/status-updates.js';
import type { Env } from './config/env.js';
import type { Policy } from './config/policy.js';
import { composeDeps } from './compose-deps.js';
import type { Deps } from './app/deps.js';
import { missingSecrets } from './config/secrets.js';
import { createHttpServer } from './http/server.js';
import { nodeCronSchedule, startDrillScheduler, type DrillsConfig } from './drills/scheduler.js';
import type { DrillWiring } from './drills/drill-wiring.js';
import { createMetrics } from './metrics/registry.js';
import { PagerDutyClient } from './pagerduty/client.js';
import type { Pager } from './ports/pager.js';
import { slackGuard } from './http/slack-guard.js';
import { createLogger, type Logger } from './log/logger.js';
import type { Clock } from './ports/clock.js';
import type { Ids } from './ports/ids.js';
import type { RollbackAdapter } from './ports/rollback-adapter.js';
import type { SliSource } from './ports/sli-source.js';
import { randomIds } from './runtime/ids.js';
import { systemClock } from './runtime/system-clock.js';
import { TaskTracker } from './runtime/task-tracker.js';
import { boltLogger } from './slack/bolt-logger.js';
import { BotIdentity } from './slack/bot-identity.js';
import { slackReadiness } from './slack/readiness.js';
import { SocketReceiver } from './slack/socket-receiver.js';
import { SlackChat } from './slack/chat.js';
import { SlackDirectory } from './slack/directory.js';
import { registerActions } from './slack/listeners/actions.js';
import { registerCommands } from './slack/listeners/commands.js';
import { PrometheusSliSource } from './sli/prometheus-source.js';
import { staticSliSource } from './sli/static-source.js';
import { openDb, type Db } from './store/db.js';
import { SqliteStore } from './store/sqlite-store.js';
import { PostgresLeaseStore } from './adapters/postgres/lease.js';
import { Leadership, replicaId, systemTimers } from './app/leadership.js';
import type { StorePort } from './ports/store.js';
import { Store } from './store/store.js';
import { FolderPostmortems } from './adapters/postmortem-files.js';

export interface BackstopOptions {
  env: Env;
  policy: Policy;
  /** Environment for adapter secrets (`secretEnv`); defaults to none. */
  secrets?: Record<string, string | undefined>;
  clock?: Clock;
  ids?: Ids;
  logger?: Logger;
  db?: Db;
  /** How often pending proposals are checked for expiry. */
  sweepIntervalMs?: number;
  /** Per-channel pacing of Slack messages (default: Slack's ~1 message a second). */
  pacing?: DrainerOptions;
  /** Extra or replacement SLI sources by kind (drills inject synthetic series). */
  sliSources?: Record<string, SliSource>;
  /** Replaces the adapter built from the policy for a service (drills wrap it to inject faults). */
  wrapAdapter?: (service: string, adapter: RollbackAdapter) => RollbackAdapter;
  /** PagerDuty client (default: built from PAGERDUTY_TOKEN and PAGERDUTY_FROM). */
  pager?: Pager;
  /** Test-only: die (SIGKILL) at this checkpoint, to prove restarts recover. */
  killAt?: Checkpoint;
  /** Extra HTTP routes by path prefix, served by the same server (the sandbox console). */
  mounts?: Record<string, RequestListener>;
  /** Serve `GET /metrics` (default true). */
  metrics?: boolean;
  /** Drills configuration (default: the policy's `drills:` block); `false` turns drills off (a drill's own bot). */
  drills?: DrillsConfig | false;
  /** How drills find scenarios and run (`drillSchedulerDefaults`); without it there are no drills. */
  drillWiring?: DrillWiring;
}

/** Start-up refused: each line names the policy field or variable to fix. */
export class StartupError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Backstop cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StartupError';
  }
}

export interface Backstop {
  url: string;
  port: number;
  deps: Deps;
  app: App;
  server: Server;
  drainer: OutboxDrainer;
  /** The SQLite store underneath, for inspection (tests, metrics); use cases go through `deps.store`. */
  sqlite: Store;
  /** Per-service continuous analysis (its lag is exported on /metrics). */
  analysis: AnalysisScheduler;
  /** Resolves when background work and queued Slack messages are done (tests, shutdown). */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** How long shutdown waits, in all, for work in flight (a Slack call, a rollback step) before it closes anyway. */
const STOP_WAIT_MS = 5_000;

/** `work`, or whatever is done of it by `deadline` (epoch ms). */
function bounded(work: Promise<unknown>, deadline: number): Promise<unknown> {
  return Promise.race([work, delay(Math.max(0, deadline - Date.now()), undefined, { ref: false })]);
}

/** Builds and starts the bot from validated configuration. `main.ts` is its only production caller. */
export async function startBackstop(opts: BackstopOptions): Promise<Backstop> {
  const { env, policy } = opts;
  if (!env.SLACK_BOT_TOKEN) throw new Error('SLACK_BOT_TOKEN is required');
  // Fail closed: a secret the policy names but the environment lacks stops start-up, never the first alert.
  const missing = missingSecrets(policy, opts.secrets ?? {});
  if (missing.length > 0) throw new StartupError(missing.map((m) => `${m.path}: ${m.message}`));
  const log = opts.logger ?? createLogger({ level: env.LOG_LEVEL });
  const clock = opts.clock ?? systemClock;
  const db = opts.db ?? openDb(env.BACKSTOP_DB);
  if (!env.BACKSTOP_AUDIT_KEY) throw new Error('BACKSTOP_AUDIT_KEY is required: make one with `openssl rand -hex 32`');
  const sqlite = new Store(db, { auditKey: env.BACKSTOP_AUDIT_KEY, auditHead: env.BACKSTOP_AUDIT_HEAD, onAuditHeadError: (err, file) => log.warn({ err, file }, 'audit head not written') });
  // Shared state: PostgreSQL when several replicas run, else the SQLite file (which always keeps
  // this replica's own things: the embedded registry, the target ledger, drill reports).
  const pg = env.BACKSTOP_DATABASE_URL
    // pg is loaded only when PostgreSQL is configured.
    ? await (await import('./adapters/postgres/postgres-store.js')).openPostgresStore(env.BACKSTOP_DATABASE_URL, { auditKey: env.BACKSTOP_AUDIT_KEY, auditHead: env.BACKSTOP_AUDIT_HEAD ?? null, onAuditHeadError: (err, file) => log.warn({ err, file }, 'audit head not written'), onConnectionError: (err) => log.warn({ err }, 'PostgreSQL connection failed') })
    : undefined;
  const store: StorePort = pg ?? new SqliteStore(sqlite);
  // Several replicas on PostgreSQL take turns at timed work through a lease (see Leadership).
  const replica = replicaId();
  const leadership = pg ? new Leadership({ store: new PostgresLeaseStore(pg.pool), holder: replica, ttlMs: env.BACKSTOP_LEASE_TTL, timers: systemTimers(), log }) : undefined;

  const socketMode = Boolean(env.SLACK_APP_TOKEN);
  const clientOptions = {
    slackApiUrl: env.SLACK_API_URL,
    // The outbox retries on its own schedule; the client must not hold a message for minutes,
    // nor wait forever on a Slack that accepts the connection and answers nothing.
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 1000 },
    rejectRateLimitedCalls: true,
    timeout: 30_000,
  };
  // The bot's own Web API client (messages, directory); Bolt gets the token through `authorize`.
  const web = new WebClient(env.SLACK_BOT_TOKEN, { ...clientOptions, logger: boltLogger(log) });
  const identity = new BotIdentity({ client: web, botToken: env.SLACK_BOT_TOKEN, clock, log });
  const receiver = socketMode
    ? new SocketReceiver({ appToken: env.SLACK_APP_TOKEN!, slackApiUrl: env.SLACK_API_URL, seen: store.seen, clock, log })
    // slackGuard has already verified the signature of the same raw body (with a tighter window and
    // replay protection) before Bolt sees the request; verifying it twice only delays the ack.
    : new HTTPReceiver({ signingSecret: env.SLACK_SIGNING_SECRET!, signatureVerification: false, logger: boltLogger(log), processBeforeResponse: false, unhandledRequestTimeoutMillis: 2900 });
  // `authorize` instead of `token`: with a token Bolt calls auth.test before it starts, and start-up never waits on Slack.
  const app = new App({ authorize: identity.authorize, receiver, logger: boltLogger(log), deferInitialization: true, clientOptions });
  await app.init();

  const sliSources: Record<string, SliSource> = { static: staticSliSource };
  if (policy.prometheus) sliSources.prometheus = new PrometheusSliSource({ baseUrl: policy.prometheus.url, timeoutMs: policy.prometheus.timeout });
  Object.assign(sliSources, opts.sliSources);
  const tasks = new TaskTracker(log);
  const deps = composeDeps({
    store, policy, clock, ids: opts.ids ?? randomIds, tasks, log, sliSources,
    postmortems: new FolderPostmortems(policy.postmortemDir),
    chat: new SlackChat(web),
    pager: opts.pager ?? (env.PAGERDUTY_TOKEN && env.PAGERDUTY_FROM ? new PagerDutyClient({ token: env.PAGERDUTY_TOKEN, from: env.PAGERDUTY_FROM }) : undefined),
    directory: new SlackDirectory(web, clock),
    buildAdapter(service) {
      const svc = policy.services[service]!;
      const adapterDeps = { db, clock, env: opts.secrets ?? {} };
      const a = svc.adapters
        ? new CoordinatedAdapter(svc.adapters.map((c) => createAdapter(service, c, adapterDeps)))
        : createAdapter(service, svc.adapter!, adapterDeps);
      return opts.wrapAdapter ? opts.wrapAdapter(service, a) : a;
    },
    // The drainer is built from these deps; the closure only runs after it exists.
    kickOutbox: () => drainer.kick(),
    checkpoint: opts.killAt ? (name) => {
      if (name === opts.killAt) {
        log.fatal({ checkpoint: name }, 'killed at checkpoint (crash test)');
        process.kill(process.pid, 'SIGKILL');
      }
    } : undefined,
  });
  // Every adapter is built (and its credentials read) before the bot says ready.
  const broken = Object.keys(policy.services).flatMap((name) => {
    try {
      deps.adapter(name);
      return [];
    } catch (err) {
      return [`services.${name}.adapter: ${err instanceof Error ? err.message : String(err)}`];
    }
  });
  if (broken.length > 0) {
    if (!opts.db) db.close();
    await pg?.close();
    throw new StartupError(broken);
  }
  // Every timed callback asks first: a paused leader that wakes past its lease acts on nothing.
  const mayAct = () => !leadership || leadership.isLeader();
  const drainer = new OutboxDrainer(deps, opts.pacing ?? SLACK_PACING, mayAct);
  const autoTimers = new AutoExecuteTimers(deps, mayAct);
  const expiryTimers = new ExpiryTimers(deps, mayAct);
  deps.armAutoExecute = (id, at) => autoTimers.arm(id, at);
  const analysis = new AnalysisScheduler(deps, mayAct);
  registerActions(app, deps);
  registerCommands(app, deps);

  const seen = store.seen;
  // /metrics reads the database at scrape time, and the analysis lag from the scheduler.
  const mounts = { ...(opts.metrics === false ? {} : { '/metrics': createMetrics({
    db, analysisLag: () => analysis.lag(), leader: () => ({ replica, leading: leadership ? leadership.isLeader() : true }),
    ...(pg ? { shared: async (sql: string) => (await pg.pool.query(sql)).rows as unknown[] } : {}),
  }).listener }), ...opts.mounts };
  // Game-day drills: scheduled from the policy, and `/backstop drill` wherever a drills channel is known.
  const drillsConfig = opts.drills === false ? undefined : (opts.drills ?? policy.drills);
  const drills = drillsConfig && opts.drillWiring
    ? startDrillScheduler({
      config: drillsConfig, incidents: store.incidents, chat: deps.chat, clock, log, ...opts.drillWiring({ config: drillsConfig, reportDb: db, logger: log }),
      // Scheduled drills are timed work: only the leader runs a tick (a person's /backstop drill runs anywhere).
      cron: (expression, tick, options) => nodeCronSchedule(expression, () => (mayAct() ? tick() : Promise.resolve()), options),
    })
    : undefined;
  deps.drills = drills;
  const server = createHttpServer({ deps, alertmanagerToken: env.ALERTMANAGER_TOKEN, alertmanagerAuth: env.ALERTMANAGER_AUTH, genericSecret: env.GENERIC_WEBHOOK_SECRET, pagerDutySecret: env.PAGERDUTY_WEBHOOK_SECRET, deployToken: env.DEPLOY_TOKEN, slack: receiver instanceof HTTPReceiver ? slackGuard({ signingSecret: env.SLACK_SIGNING_SECRET!, clock, seen, onRefuse: (reason) => log.warn({ reason }, 'refused a Slack request') }, receiver.requestListener) : undefined, mounts,
    // A follower is ready too (it takes alerts and clicks); the answer says which one leads.
    readiness: async () => ({
      leadership: leadership ? (leadership.isLeader() ? 'ok (leading timed work)' : 'ok (follower)') : 'ok (single replica)',
      slack: slackReadiness({ webApi: identity.state, socket: receiver instanceof SocketReceiver ? receiver.state : undefined, queued: await store.outbox.pending().catch(() => undefined) }),
    }) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST ?? '0.0.0.0', () => resolve());
  });
  // Neither returns waiting on Slack: both keep trying in the background.
  identity.start();
  if (socketMode) await app.start();
  const port = (server.address() as AddressInfo).port;
  const host = !env.HOST || env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;

  // Timed work (recovery, the outbox, automatic rollbacks, expiry, analysis) runs on one replica:
  // the leader when several share PostgreSQL, this process when it is alone on SQLite.
  let sweep: NodeJS.Timeout | undefined;
  let outboxPoll: NodeJS.Timeout | undefined;
  const startTimedWork = async () => {
    drainer.resume();
    await recover(deps);
    // Automatic rollbacks fire at their due time; the sweep is only a safety net for a lost timer.
    await autoTimers.armPending();
    // Expiry to the second: each sweep arms timers for what falls due before the next one.
    const sweepMs = opts.sweepIntervalMs ?? 15_000;
    await expiryTimers.armDue(sweepMs + 1000);
    sweep = setInterval(() => {
      if (!mayAct()) return;
      tasks.run('sweep', async () => {
        await autoExecuteDue(deps);
        await expireProposals(deps);
        await expiryTimers.armDue(sweepMs + 1000);
        // Status updates (policy statusUpdate) are due at most a sweep late.
        await postStatusUpdates(deps);
        await seen.forgetBefore(new Date(clock.now().getTime() - 15 * 60_000).toISOString());
      });
    }, sweepMs);
    sweep.unref();
    // Another replica's steps reach the shared outbox without kicking this drainer.
    if (leadership) {
      outboxPoll = setInterval(() => mayAct() && drainer.kick(), 250);
      outboxPoll.unref();
    }
    // Continuous analysis, each service on its own interval.
    analysis.start();
  };
  const stopTimedWork = () => {
    if (sweep) clearInterval(sweep);
    if (outboxPoll) clearInterval(outboxPoll);
    analysis.stop();
    autoTimers.stop();
    expiryTimers.stop();
    drainer.stop();
  };
  if (leadership) {
    drainer.stop();
    leadership.onGained(async (term) => {
      log.info({ replica: replica, fencing: term.fencing }, 'leading: timed work starts here');
      await startTimedWork();
    });
    leadership.onLost((reason) => {
      log.warn({ replica: replica, reason }, 'no longer leading: timed work stops here');
      stopTimedWork();
    });
    leadership.start();
  } else {
    await startTimedWork();
  }
  log.info({ port, socketMode, services: Object.keys(policy.services) }, 'backstop ready');

  return {
    url: `http://${host}:${port}`, port, deps, app, server, drainer, analysis, sqlite,
    async settled(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        await tasks.idle();
        drainer.kick();
        await drainer.flushed();
        if ((await store.outbox.pending()) === 0 && tasks.busy === 0) return;
        await delay(20);
      }
      throw new Error(`not settled after ${timeoutMs} ms: ${await store.outbox.pending()} Slack message(s) still queued`);
    },
    async stop() {
      await drills?.stop();
      await leadership?.stop();
      stopTimedWork();
      identity.stop();
      // Work waiting on a Slack that answers nothing must not hold up shutdown: a message in
      // flight was marked so before it was posted, and the next start looks for it in Slack.
      const deadline = Date.now() + STOP_WAIT_MS;
      await bounded(tasks.idle(), deadline);
      drainer.stop();
      // A send in flight finishes (or fails) before the database closes under it.
      await bounded(drainer.flushed(), deadline);
      if (socketMode) await app.stop();
      // Open event streams (the sandbox console) never end by themselves: cut them so close() returns.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await pg?.close();
      if (!opts.db) db.close();
    },
  };
}
