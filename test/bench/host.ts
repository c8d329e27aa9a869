/**
 * One server in its own process, so its memory is its own and its work never waits on another's
 * event loop: the real Backstop (`startBackstop`), a bare Bolt app whose only listener acks, a
 * bare `node:http` server that reads the body and answers 200, the Slack emulator, or a PostgreSQL
 * server (test/support/postgres.ts) for Backstop's PostgreSQL store. Started by
 * `run.ts` with the path of its configuration (JSON) in BENCH_HOST; talks back over IPC.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { startBackstop, type Backstop } from '../../src/bootstrap.js';
import { parseEnv } from '../../src/config/env.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import type { RollbackAdapter } from '../../src/ports/rollback-adapter.js';
import { SlackEmulator, type ChangeEvent } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { PostgresServer } from '../support/postgres.js';
import { startDurableServer } from './durable-floor.js';
import { BOT_TOKEN, SIGNING_SECRET, seedWorkspace, type HostConfig, type HostMessage, type HostRequest, type HostStats } from './common.js';

const send = (m: HostMessage) => process.send?.(m);

function listen(server: ReturnType<typeof createServer>): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** Reports the moment the adapter's execute is called (monotonic clock, comparable across processes). */
function observeExecute(service: string, adapter: RollbackAdapter): RollbackAdapter {
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'execute') {
        return (req: Parameters<RollbackAdapter['execute']>[0]) => {
          send({ type: 'execute', service, hr: process.hrtime.bigint().toString() });
          return target.execute(req);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function startBackstopHost(cfg: Extract<HostConfig, { kind: 'backstop' }>): Promise<{ url: string; bot: Backstop }> {
  const env = parseEnv(cfg.env);
  if (!env.ok) throw new Error(`env: ${JSON.stringify(env.problems)}`);
  const policy = parsePolicy(cfg.policyYaml);
  if (!policy.ok) throw new Error(`policy: ${JSON.stringify(policy.problems.slice(0, 3))}`);
  // Logs at the production default level, written as production writes them (synchronously), to a file.
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: cfg.logFile, sync: true }) });
  const bot = await startBackstop({ env: env.env, policy: policy.policy, logger, pacing: cfg.pacing ?? { channelIntervalMs: 0, channelBurst: 1 } });
  const adapter = bot.deps.adapter.bind(bot.deps);
  const wrapped = new Map<string, RollbackAdapter>();
  bot.deps.adapter = (svc) => {
    let a = wrapped.get(svc);
    if (!a) wrapped.set(svc, (a = observeExecute(svc, adapter(svc))));
    return a;
  };
  return { url: bot.url, bot };
}

/** The baseline for acks: Bolt's own HTTPReceiver, signature checks on, one listener that acks. */
async function startBoltHost(cfg: Extract<HostConfig, { kind: 'bolt' }>): Promise<{ url: string; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({ token: BOT_TOKEN, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: cfg.apiUrl }, deferInitialization: true });
  await app.init();
  // Acks, then reports the click as the moment a rollback could start: the floor under figure 4.
  app.action(ACTION_APPROVE, async ({ ack }) => {
    await ack();
    send({ type: 'execute', service: 'bolt', hr: process.hrtime.bigint().toString() });
  });
  // As HTTPReceiver.start() does: a request to another path is answered 404, not thrown.
  const server = createServer((req, res) => {
    try {
      receiver.requestListener(req, res);
    } catch {
      res.writeHead(404).end();
    }
  });
  const url = await listen(server);
  return { url, stop: () => new Promise((r) => server.close(() => r())) };
}

/**
 * The baseline for intake: read the body, answer 200. On `/relay?channel=C…` it then also posts one
 * message with an Approve button through Slack's own WebClient: the floor under figure 3.
 */
async function startHttpHost(cfg: Extract<HostConfig, { kind: 'http' }>): Promise<{ url: string; stop(): Promise<void> }> {
  const client = new WebClient(BOT_TOKEN, { slackApiUrl: cfg.apiUrl });
  const blocks = [
    { type: 'section', text: { type: 'mrkdwn', text: 'Rollback proposal' } },
    { type: 'actions', elements: [{ type: 'button', action_id: ACTION_APPROVE, text: { type: 'plain_text', text: 'Approve' }, value: 'relay' }] },
  ];
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
      res.end('{"ok":true}');
      const channel = new URL(req.url ?? '/', 'http://x').searchParams.get('channel');
      if (channel) void client.chat.postMessage({ channel, text: 'Rollback proposal', blocks }).catch(() => undefined);
    });
  });
  server.keepAliveTimeout = 60_000;
  const url = await listen(server);
  return { url, stop: () => new Promise((r) => server.close(() => r())) };
}

/** The Slack emulator, seeded with the benchmark's workspace; reports proposals and ephemerals as they arrive. */
async function startSlackHost(): Promise<{ url: string; emu: SlackEmulator; calls: Map<string, bigint[]>; stop(): Promise<void> }> {
  const emu = new SlackEmulator({ botToken: BOT_TOKEN });
  const calls = new Map<string, bigint[]>();
  await emu.start();
  seedWorkspace(emu);
  emu.on('change', (ev: ChangeEvent) => {
    // Per channel: when each message was posted, to check Backstop stays under Slack's per-channel rate for
    // chat.postMessage (ephemerals and edits have rate limits of their own, per workspace).
    if (ev.kind === 'call' && ev.call.method === 'chat.postMessage' && typeof ev.call.args.channel === 'string') {
      const list = calls.get(ev.call.args.channel) ?? [];
      list.push(process.hrtime.bigint());
      calls.set(ev.call.args.channel, list);
    }
    if (ev.kind === 'message' && !ev.message.thread_ts && JSON.stringify(ev.message.blocks ?? []).includes(ACTION_APPROVE)) {
      send({ type: 'proposal', channel: ev.channel, message: ev.message, hr: process.hrtime.bigint().toString() });
    }
    if (ev.kind === 'ephemeral') send({ type: 'ephemeral', channel: ev.ephemeral.channel, user: ev.ephemeral.user, hr: process.hrtime.bigint().toString() });
  });
  return { url: emu.url, emu, calls, stop: () => emu.stop() };
}

/**
 * A PostgreSQL server of its own (initdb in a temporary directory, a free loopback port). It is
 * stopped, and its directory removed, on `stop`, when the runner disconnects (it finished, failed,
 * was interrupted or killed) and on SIGINT/SIGTERM/SIGHUP; the runner starts this host in a process
 * group of its own so that Ctrl-C reaches the runner, not this host or the server.
 */
async function startPostgresHost(): Promise<{ url: string; server: PostgresServer; stop(): Promise<void> }> {
  const server = await PostgresServer.start();
  // test/support/children.ts answers a signal by SIGKILLing the server (a test worker has no time
  // for more); here there is time for a proper stop, which also removes the data directory.
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= server.stop());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => void stop().finally(() => process.exit(1)));
  }
  return { url: server.url(), server, stop };
}

function quiet(emu: SlackEmulator, ms: number): Promise<void> {
  return new Promise((resolveQuiet) => {
    let timer = setTimeout(done, ms);
    function onChange(ev: ChangeEvent) {
      if (ev.kind !== 'call') return;
      clearTimeout(timer);
      timer = setTimeout(done, ms);
    }
    function done() {
      emu.off('change', onChange);
      resolveQuiet();
    }
    emu.on('change', onChange);
  });
}

async function main(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.env.BENCH_HOST ?? '', 'utf8')) as HostConfig;
  let peakRss = 0;
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100).unref();
  let pgServer: PostgresServer | undefined;
  let stop: () => Promise<void> = async () => undefined;
  // The runner went away (finished or crashed): so do we, stopping a PostgreSQL server first.
  process.on('disconnect', () => {
    if (cfg.kind !== 'postgres') process.exit(0);
    // Still starting: stopped as soon as it has started (below).
    if (pgServer) void stop().finally(() => process.exit(0));
  });
  const t0 = performance.now();
  let bot: Backstop | undefined;
  let emu: SlackEmulator | undefined;
  let calls: Map<string, bigint[]> | undefined;
  let url: string;
  if (cfg.kind === 'postgres') {
    const started = await startPostgresHost();
    pgServer = started.server;
    url = started.url;
    stop = started.stop;
    // The runner left while the server was starting.
    if (!process.connected) {
      await stop();
      process.exit(0);
    }
  } else if (cfg.kind === 'backstop') {
    const started = await startBackstopHost(cfg);
    bot = started.bot;
    url = started.url;
    stop = () => started.bot.stop();
  } else if (cfg.kind === 'slack') {
    const started = await startSlackHost();
    emu = started.emu;
    calls = started.calls;
    url = started.url;
    stop = started.stop;
  } else if (cfg.kind === 'durable') {
    const server = startDurableServer(cfg.dbFile);
    url = await listen(server);
    stop = () => new Promise((r) => server.close(() => r()));
  } else {
    const started = cfg.kind === 'bolt' ? await startBoltHost(cfg) : await startHttpHost(cfg);
    url = started.url;
    stop = started.stop;
  }
  process.on('message', (raw: HostRequest) => {
    void (async () => {
      let value: unknown = null;
      if (raw.cmd === 'settle') await bot?.settled(60_000);
      if (raw.cmd === 'stats') {
        const m = process.memoryUsage();
        value = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, peakRss: Math.max(peakRss, m.rss) } satisfies HostStats;
      }
      if (raw.cmd === 'clock') value = process.hrtime.bigint().toString();
      if (raw.cmd === 'quiet' && emu) await quiet(emu, raw.args.ms);
      if (raw.cmd === 'calls' && calls) {
        const since = BigInt(raw.args.since);
        value = Object.fromEntries([...calls].map(([ch, ts]) => [ch, ts.filter((t) => t >= since).map((t) => Number(t / 1000n) / 1000)]));
      }
      if (raw.cmd === 'mint' && emu) {
        const { channel, messageTs, users } = raw.args;
        const e = emu;
        value = users.map((u) => ({ triggerId: e.triggerId(u), responseUrl: e.responseUrl(channel, u, { messageTs }) }));
      }
      if (raw.cmd === 'schema' && pgServer) value = await pgServer.freshSchema();
      if (raw.cmd === 'sql' && pgServer) value = (await pgServer.query(raw.args.text, raw.args.values)).rows;
      if (raw.cmd === 'stop') await stop();
      // Exiting (rather than waiting for the loop to drain) also writes the --cpu-prof profile.
      process.send?.({ type: 'reply', id: raw.id, value } satisfies HostMessage, () => {
        if (raw.cmd === 'stop') process.exit(0);
      });
    })().catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }));
  });
  send({ type: 'ready', url, readyMs: performance.now() - t0 });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
