/**
 * `npm run bench`: the real bot, in its own process, against the local Slack emulator, next to
 * the baselines it is compared with in the same run. Prints a table (markdown, ready for the
 * README) and writes bench-results/latest.json.
 *
 *   npm run bench                 # everything, about three minutes
 *   npm run bench -- --profile    # also write a CPU profile of every Backstop process to bench-results/profiles/
 *   npm run bench -- --only=1,2   # only those figures
 *   npm run bench -- --only=1,1pg,2,2pg   # ack and intake on SQLite and on PostgreSQL (`pg` = 1pg,2pg)
 *
 * Figures 1pg and 2pg are figures 1 and 2 with Backstop on the PostgreSQL store
 * (BACKSTOP_DATABASE_URL), against a server the runner starts (test/support/postgres.ts, in a host
 * process of its own) with a fresh schema per figure; skipped, and said so, when PostgreSQL is not
 * installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants as osConstants, cpus, freemem, loadavg, totalmem, tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { buildBlockActionsBody, slackFormHeaders } from '../../src/slack/signing.js';
import { openDb } from '../../src/store/db.js';
import { postgresBinDir, postgresInstalled } from '../support/postgres.js';
import { AM_TOKEN, APPROVERS, BOT_TOKEN, SERVICE_COUNT, SIGNING_SECRET, STORM, alertmanagerBody, policyYaml, seedRegistry, service, type HostConfig, type HostMessage, type HostRequest, type HostStats, type MintRequest } from './common.js';
import { Client, closedLoop, latency, type Latency, type ThroughputResult } from './load.js';
import { seedPastIncidents, type SeedCounts } from './seed.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = fileURLToPath(new URL('./host.ts', import.meta.url));
const OUT = join(ROOT, 'bench-results');
const PROFILE = process.argv.includes('--profile');
/** `--only=1,2`: just those figures (a profile of one figure is easier to read). */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (figure: string) => !ONLY || ONLY.includes(figure) || (figure.endsWith('pg') && ONLY.includes('pg'));
/** Databases, policies, logs, host configurations and the compiled build; removed when the runner exits, however it exits. */
const WORK = mkdtempSync(join(tmpdir(), 'backstop-bench-'));

const CLICKS = 50;
const ACK_ROUNDS = 30;
const ACK_WARMUP_ROUNDS = 2;
const PROPOSAL_SAMPLES = 100;
const GROWTH_SAMPLES = 40;
/** Samples taken first and not counted (JIT, connections). */
const WARMUP = 5;
const INTAKE_CONCURRENCY = 16;
const COLD_STARTS = 5;
const ALERTS_PER_PAYLOAD = 10;

const log = (s: string) => process.stderr.write(`${s}\n`);
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

// ---------------------------------------------------------------------------------------------
// A server under test in its own process

/** What the load needs of a server: where it is, and a way to wait for its background work (a no-op when it cannot tell). */
interface Target {
  url: string;
  settle(): Promise<unknown>;
}

class Host {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (err: Error) => void }>();
  private readonly executes: { service: string; hr: bigint }[] = [];
  private waiter: { service: string; resolve: (hr: bigint) => void } | undefined;
  url = '';
  readyMs = 0;
  spawnToReadyMs = 0;
  onEvent?: (m: Extract<HostMessage, { type: 'proposal' | 'ephemeral' }>) => void;
  private stopping = false;

  private constructor(private readonly child: ChildProcess, readonly label: string) {}

  static start(label: string, cfg: HostConfig): Promise<Host> {
    const args = ['--import', 'tsx', HOST];
    // One folder per process: tsx's loader thread writes a profile of its own next to the main thread's.
    if (PROFILE && cfg.kind === 'backstop') args.unshift('--cpu-prof', `--cpu-prof-dir=${join(OUT, 'profiles', label)}`);
    // A file, not the environment: the policy alone is larger than one variable may be.
    const cfgFile = join(WORK, `host-${label}.json`);
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const t0 = performance.now();
    // The PostgreSQL host gets a process group of its own: Ctrl-C ends the runner, and the host, seeing
    // the runner gone, stops the server properly instead of dying with it.
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, BENCH_HOST: cfgFile }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: cfg.kind === 'postgres' });
    const host = new Host(child, label);
    // A host that fails or dies fails whatever waits on it, instead of leaving the run hanging.
    const fail = (err: Error) => {
      for (const p of host.pending.values()) p.reject(err);
      host.pending.clear();
    };
    return new Promise((resolveStart, reject) => {
      child.once('exit', (code) => {
        if (host.stopping) return;
        const err = new Error(`${label} exited (${code})`);
        reject(err);
        fail(err);
      });
      child.on('message', (m: HostMessage) => {
        if (m.type === 'ready') {
          host.url = m.url;
          host.readyMs = m.readyMs;
          host.spawnToReadyMs = performance.now() - t0;
          resolveStart(host);
        } else if (m.type === 'reply') {
          host.pending.get(m.id)?.resolve(m.value);
          host.pending.delete(m.id);
        } else if (m.type === 'proposal' || m.type === 'ephemeral') {
          host.onEvent?.(m);
        } else if (m.type === 'execute') {
          const hr = BigInt(m.hr);
          if (host.waiter && host.waiter.service === m.service) {
            host.waiter.resolve(hr);
            host.waiter = undefined;
          } else {
            host.executes.push({ service: m.service, hr });
          }
        } else {
          const err = new Error(`${label}: ${m.message}`);
          reject(err);
          fail(err);
        }
      });
    });
  }

  call(cmd: 'settle' | 'stats' | 'stop' | 'clock' | 'schema'): Promise<unknown>;
  call(cmd: 'sql', args: { text: string; values?: unknown[] }): Promise<unknown>;
  call(cmd: 'mint', args: MintRequest): Promise<unknown>;
  call(cmd: 'quiet', args: { ms: number }): Promise<unknown>;
  call(cmd: HostRequest['cmd'], args?: unknown): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  settle(): Promise<unknown> {
    return this.call('settle');
  }

  async stats(): Promise<HostStats> {
    return (await this.call('stats')) as HostStats;
  }

  /** The next call of the adapter's execute for `service` (monotonic ns, comparable with ours). */
  nextExecute(service: string, timeoutMs = 10_000): Promise<bigint> {
    const i = this.executes.findIndex((e) => e.service === service);
    if (i >= 0) return Promise.resolve(this.executes.splice(i, 1)[0]!.hr);
    return new Promise((resolveExec, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no execute for ${service} within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = { service, resolve: (hr) => { clearTimeout(timer); resolveExec(hr); } };
    });
  }

  forgetExecutes(): void {
    this.executes.length = 0;
  }

  /** Both processes read CLOCK_MONOTONIC through process.hrtime; check that before trusting cross-process intervals. */
  async checkClock(): Promise<void> {
    const before = process.hrtime.bigint();
    const theirs = BigInt((await this.call('clock')) as string);
    const after = process.hrtime.bigint();
    if (theirs < before || theirs > after) throw new Error('the host process has a different monotonic clock; cross-process latencies would be wrong');
  }

  async stop(): Promise<void> {
    // Already gone (it failed): nothing would answer.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.stopping = true;
    await this.call('stop');
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// The Slack side: the emulator (in its own process), and clicks signed as Slack signs them

class Workspace {
  private readonly proposalWaiters = new Map<string, (hr: bigint, message: SlackMessage) => void>();
  private readonly ephemeralWaiters = new Map<string, () => void>();

  constructor(private readonly slack: Host) {
    slack.onEvent = (m) => {
      if (m.type === 'proposal') {
        this.proposalWaiters.get(m.channel)?.(BigInt(m.hr), m.message as SlackMessage);
        this.proposalWaiters.delete(m.channel);
      } else {
        const key = `${m.channel}/${m.user}`;
        this.ephemeralWaiters.get(key)?.();
        this.ephemeralWaiters.delete(key);
      }
    };
  }

  /** Web API base URL of the emulator. */
  get url(): string {
    return this.slack.url;
  }

  /** The next top-level message with an Approve button in `channel`: when the emulator received it (monotonic ns), and the message. */
  proposalIn(channel: string, timeoutMs = 10_000): Promise<{ at: bigint; message: SlackMessage }> {
    return new Promise((resolveP, reject) => {
      const timer = setTimeout(() => reject(new Error(`no proposal in ${channel} within ${timeoutMs} ms`)), timeoutMs);
      this.proposalWaiters.set(channel, (at, message) => {
        clearTimeout(timer);
        resolveP({ at, message });
      });
    });
  }

  ephemeralTo(channel: string, user: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolveE, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ephemeral to ${user} in ${channel}`)), timeoutMs);
      this.ephemeralWaiters.set(`${channel}/${user}`, () => {
        clearTimeout(timer);
        resolveE();
      });
    });
  }

  /** Waits until the emulator has had no API call for `ms`, so one measurement's Slack traffic never lands in the next. */
  async quiet(ms = 50): Promise<void> {
    await this.slack.call('quiet', { ms });
  }

  /** The block_actions bodies of `users` pressing Approve on `message`, with trigger ids and response URLs minted by the emulator. */
  async clickBodies(users: readonly { id: string; name: string }[], channel: { id: string; name: string }, message: SlackMessage): Promise<string[]> {
    const minted = (await this.slack.call('mint', { channel: channel.id, messageTs: message.ts, users: users.map((u) => u.id) })) as { triggerId: string; responseUrl: string }[];
    return users.map((u, k) => buildBlockActionsBody({
      user: { id: u.id, username: u.name },
      team: { id: 'T0BACKSTOP', domain: 'backstop' },
      apiAppId: 'A0BACKSTOP',
      channel,
      message: message as unknown as { ts: string; blocks?: unknown },
      actionId: ACTION_APPROVE,
      actionTs: `${Math.floor(Date.now() / 1000)}.000100`,
      triggerId: minted[k]!.triggerId,
      responseUrl: minted[k]!.responseUrl,
    }));
  }

  async clickBody(user: { id: string; name: string }, channel: { id: string; name: string }, message: SlackMessage): Promise<string> {
    return (await this.clickBodies([user], channel, message))[0]!;
  }
}

/** Signs at send time, as Slack does. */
function click(client: Client, body: string) {
  return client.send('/slack/events', body, slackFormHeaders(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)));
}

const amHeaders = { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` };
let fingerprintSeq = 0;
/** `c…` for single alerts that open incidents, `b…` for the intake storm; seeded history uses `a…`. */
const nextFingerprint = (prefix: 'b' | 'c') => `${prefix}${(fingerprintSeq++).toString(16).padStart(15, '0')}`;
const START = new Date(Date.now() - 60_000).toISOString();

// ---------------------------------------------------------------------------------------------
// Measurements

/**
 * Figure 3: POST one firing alert for a fresh service → the proposal message arrives at Slack.
 * The first `warmup` samples are not counted.
 */
async function proposalLatency(host: Target, ws: Workspace, services: number[], warmup = WARMUP): Promise<{ latency: Latency; messages: Map<number, SlackMessage> }> {
  const client = new Client(host.url, 4);
  const samples: number[] = [];
  const messages = new Map<number, SlackMessage>();
  for (const i of services) {
    const s = service(i);
    await host.settle();
    await ws.quiet(10);
    const arrived = ws.proposalIn(s.channel);
    const t0 = process.hrtime.bigint();
    const r = await client.send('/alerts/alertmanager', alertmanagerBody(s.service, [nextFingerprint('c')], START), amHeaders);
    if (r.status !== 200) throw new Error(`alert for ${s.service}: ${r.status} ${r.body}`);
    const { at, message } = await arrived;
    if (messages.size >= warmup) samples.push(ms(t0, at));
    messages.set(i, message);
  }
  client.close();
  return { latency: latency(samples), messages };
}

/** Baseline for figure 3: a bare server that answers, then posts one message with WebClient. */
async function relayLatency(host: Host, ws: Workspace, services: number[]): Promise<Latency> {
  const client = new Client(host.url, 4);
  const samples: number[] = [];
  for (const [k, i] of services.entries()) {
    const s = service(i);
    await ws.quiet(10);
    const arrived = ws.proposalIn(s.channel);
    const t0 = process.hrtime.bigint();
    await client.send(`/relay?channel=${s.channel}`, alertmanagerBody(s.service, [nextFingerprint('c')], START), amHeaders);
    const { at } = await arrived;
    if (k >= WARMUP) samples.push(ms(t0, at));
  }
  client.close();
  return latency(samples);
}

/** Figure 4: first approval, wait until it is recorded, then the quorum-completing click → adapter.execute. */
async function approvalLatency(host: Host, ws: Workspace, messages: Map<number, SlackMessage>): Promise<Latency> {
  const client = new Client(host.url, 4);
  const samples: number[] = [];
  const [first, second] = [APPROVERS[0]!, APPROVERS[1]!];
  for (const [i, message] of messages) {
    const s = service(i);
    const channel = { id: s.channel, name: s.channelName };
    const recorded = ws.ephemeralTo(s.channel, first.id);
    await click(client, await ws.clickBody(first, channel, message));
    await recorded;
    await host.settle();
    await ws.quiet(10);
    const body = await ws.clickBody(second, channel, message);
    const executed = host.nextExecute(s.service);
    const t0 = process.hrtime.bigint();
    await click(client, body);
    const took = ms(t0, await executed);
    if (i >= WARMUP) samples.push(took);
  }
  client.close();
  return latency(samples);
}

/** Baseline for figure 4: the same click to a bare Bolt app, to the moment its listener has acked and could act. */
async function boltApprovalLatency(bolt: Host, ws: Workspace, message: SlackMessage, n: number): Promise<Latency> {
  const client = new Client(bolt.url, 4);
  const samples: number[] = [];
  const s = service(0);
  bolt.forgetExecutes();
  for (let k = 0; k < WARMUP + n; k++) {
    const body = await ws.clickBody(APPROVERS[k % APPROVERS.length]!, { id: s.channel, name: s.channelName }, message);
    const executed = bolt.nextExecute('bolt');
    const t0 = process.hrtime.bigint();
    await click(client, body);
    const took = ms(t0, await executed);
    if (k >= WARMUP) samples.push(took);
  }
  client.close();
  return latency(samples);
}

/** Figure 1: rounds of 50 different approvers clicking Approve on a fresh proposal at once, Backstop and bare Bolt alternating. */
async function ackLatency(backstop: Host, bolt: Host, ws: Workspace, proposals: Map<number, SlackMessage>): Promise<{ backstop: Latency; bolt: Latency }> {
  const clients = { backstop: new Client(backstop.url, CLICKS), bolt: new Client(bolt.url, CLICKS) };
  const samples = { backstop: [] as number[], bolt: [] as number[] };
  let round = 0;
  for (const [i, message] of proposals) {
    const s = service(i);
    const channel = { id: s.channel, name: s.channelName };
    // A different order of approvers every round, so the quorum is completed by different people.
    const users = APPROVERS.map((u, k) => ({ u, key: (k * 7919 + round * 104729) % 1009 })).sort((a, b) => a.key - b.key).map((x) => x.u);
    const order: ('backstop' | 'bolt')[] = round % 2 ? ['bolt', 'backstop'] : ['backstop', 'bolt'];
    for (const target of order) {
      const bodies = await ws.clickBodies(users, channel, message);
      const replies = await Promise.all(bodies.map((b) => click(clients[target], b)));
      const bad = replies.find((r) => r.status !== 200);
      if (bad) throw new Error(`${target} answered a click with ${bad.status}: ${bad.body}`);
      // The first rounds only warm connections and the JIT.
      if (round >= ACK_WARMUP_ROUNDS) samples[target].push(...replies.map((r) => r.ms));
      // Backstop's work after the acks (decisions, ephemerals, execution) must be over before the next round.
      await backstop.settle();
      await ws.quiet(50);
    }
    round++;
  }
  clients.backstop.close();
  clients.bolt.close();
  return { backstop: latency(samples.backstop), bolt: latency(samples.bolt) };
}

interface Intake extends ThroughputResult {
  alertsPerSecond: number;
}

function intakeBody(): string {
  return alertmanagerBody(STORM.service, Array.from({ length: ALERTS_PER_PAYLOAD }, () => nextFingerprint('b')), START);
}

async function intake(host: Target, path: string, seconds: number): Promise<Intake> {
  const client = new Client(host.url, INTAKE_CONCURRENCY);
  const r = await closedLoop(client, path, amHeaders, intakeBody, INTAKE_CONCURRENCY, seconds);
  client.close();
  return { ...r, alertsPerSecond: (r.requests * ALERTS_PER_PAYLOAD) / r.seconds };
}

interface Accounting {
  sent: number;
  reportedNew: number;
  rows: number;
  ok: boolean;
}

/** Every alert of every 200 answer must be a row (`rows`: the storm's rows in the store), and reported as new exactly once. */
function accountFor(rows: number, runs: Intake[]): Accounting {
  const sent = runs.reduce((n, r) => n + r.requests * ALERTS_PER_PAYLOAD, 0);
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const reportedNew = runs.reduce((n, r) => n + r.replies.reduce((m, b) => m + Number((JSON.parse(b) as { new?: number }).new ?? 0), 0), 0);
  return { sent, reportedNew, rows, ok: failed === 0 && rows === sent && reportedNew === sent };
}

/** The same, counting rows in a SQLite file. */
function account(dbFile: string, runs: Intake[]): Accounting {
  const db = new Database(dbFile, { readonly: true });
  const rows = db.prepare('SELECT count(*) FROM alerts WHERE service = ?').pluck().get(STORM.service) as number;
  db.close();
  return accountFor(rows, runs);
}

/** The same, counting rows in a PostgreSQL schema (asked of the PostgreSQL host). */
async function accountPostgres(pg: Host, schema: string, runs: Intake[]): Promise<Accounting> {
  const rows = (await pg.call('sql', { text: `SELECT count(*)::int AS n FROM ${schema}.alerts WHERE service = $1`, values: [STORM.service] })) as { n: number }[];
  return accountFor(rows[0]!.n, runs);
}

async function intakePair(backstop: Host, bare: Host, seconds: number): Promise<{ backstop: Intake; warmup: Intake; bare: Intake }> {
  const warmup = await intake(backstop, '/alerts/alertmanager', 1);
  await intake(bare, '/', 1);
  const b = await intake(backstop, '/alerts/alertmanager', seconds);
  const h = await intake(bare, '/', seconds);
  return { backstop: b, warmup, bare: h };
}

// ---------------------------------------------------------------------------------------------
// Cold start: spawn → /healthz answers 200

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

/** Servers started by spawnServer and still running: killed if the runner dies (IPC hosts exit by themselves). */
const spawned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of spawned) c.kill('SIGKILL');
  rmSync(WORK, { recursive: true, force: true });
});
// Ctrl-C or a kill ends the runner through 'exit' (above); the hosts see it gone and end too, the
// PostgreSQL host after stopping its server.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(128 + osConstants.signals[signal]));

/** Any HTTP answer (or only a 200, for /healthz) from `url`. */
function answers(url: string, okOnly: boolean): Promise<boolean> {
  return new Promise((r) => {
    const req = get(url, (res) => {
      res.resume();
      r(!okOnly || res.statusCode === 200);
    });
    req.on('error', () => r(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** Spawns a server and polls `readyUrl` every 5 ms: `readyMs` is spawn → first answer (a 200 on /healthz). */
async function spawnServer(args: string[], env: Record<string, string>, readyUrl: string): Promise<{ pid: number; readyMs: number; stop(): Promise<void> }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-2000);
  });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  for (;;) {
    if (await answers(readyUrl, readyUrl.endsWith('/healthz'))) return { pid: child.pid!, readyMs: performance.now() - t0, stop };
    if (child.exitCode !== null) throw new Error(`node ${args.join(' ').slice(0, 200)} exited with ${child.exitCode} before answering:\n${stderr}`);
    if (performance.now() - t0 > 20_000) {
      await stop();
      throw new Error(`node ${args.join(' ')} not ready after 20 s`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resident set of another process, in MB (Linux). */
function vmRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The highest RSS over the next `ms` (sampled every 100 ms): one sample lands anywhere in V8's GC cycle. */
async function settledRss(pid: number, ms = 1000): Promise<number> {
  let max = vmRss(pid);
  for (let t = 0; t < ms; t += 100) {
    await new Promise((r) => setTimeout(r, 100));
    max = Math.max(max, vmRss(pid));
  }
  return max;
}

/** `tsc -p tsconfig.build.json` into `work` (never into dist/): src/main.ts as the Docker image runs it. */
function compile(work: string): string | undefined {
  const out = join(work, 'build');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) log(r.stdout.split('\n').slice(0, 5).join('\n'));
  if (!existsSync(join(out, 'main.js'))) return undefined;
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}

/** The same bare Bolt app as the ack baseline, as plain JavaScript, after 200 signed clicks: the framework's own footprint. */
async function bareBoltRss(nodeArgs: string[], ws: Workspace): Promise<number> {
  const port = await freePort();
  const script = `
    import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
    import { createServer } from 'node:http';
    const receiver = new HTTPReceiver({ signingSecret: ${JSON.stringify(SIGNING_SECRET)}, processBeforeResponse: false, logLevel: LogLevel.ERROR });
    const app = new App({ token: ${JSON.stringify(BOT_TOKEN)}, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: ${JSON.stringify(ws.url)} }, deferInitialization: true });
    await app.init();
    app.action(${JSON.stringify(ACTION_APPROVE)}, async ({ ack }) => { await ack(); });
    // As HTTPReceiver.start() does: a request to another path is answered 404, not thrown.
    createServer((req, res) => { try { receiver.requestListener(req, res); } catch { res.writeHead(404).end(); } }).listen(${port}, '127.0.0.1');`;
  const proc = await spawnServer([...nodeArgs, '--input-type=module', '-e', script], { PATH: process.env.PATH ?? '' }, `http://127.0.0.1:${port}/`);
  const s = service(0);
  const message = { type: 'message', ts: '1700000000.000100', channel: s.channel, team: 'T0BACKSTOP', text: 'proposal', blocks: [{ type: 'actions', block_id: 'decision', elements: [{ type: 'button', action_id: ACTION_APPROVE, text: { type: 'plain_text', text: 'Approve' }, value: 'rb-bench' }] }] } as SlackMessage;
  const client = new Client(`http://127.0.0.1:${port}`, CLICKS);
  for (let round = 0; round < 4; round++) {
    const bodies = await ws.clickBodies(APPROVERS, { id: s.channel, name: s.channelName }, message);
    await Promise.all(bodies.map((b) => click(client, b)));
  }
  client.close();
  const rss = await settledRss(proc.pid);
  await proc.stop();
  return rss;
}

/** Share of all cores busy over `ms` (from the kernel's per-CPU counters): other work on the machine skews every figure. */
async function machineBusy(ms = 1000): Promise<number> {
  const sample = () => cpus().reduce((acc, c) => ({ idle: acc.idle + c.times.idle, total: acc.total + c.times.idle + c.times.user + c.times.sys + c.times.nice + c.times.irq }), { idle: 0, total: 0 });
  const a = sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = sample();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** The server the PostgreSQL figures ran against: its version and the settings that matter for write speed. */
async function postgresDetails(pg: Host): Promise<Record<string, unknown>> {
  const rows = (await pg.call('sql', { text: `SELECT version() AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit, current_setting('full_page_writes') AS full_page_writes, current_setting('shared_buffers') AS shared_buffers` })) as Record<string, string>[];
  return { ...rows[0], url: pg.url, connection: 'TCP over loopback, on the same machine as Backstop and the load' };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---------------------------------------------------------------------------------------------
// Report

interface Figure {
  id: string;
  name: string;
  unit: string;
  backstop: number;
  baseline: number;
  baselineName: string;
  /** backstop / baseline. */
  ratio: number;
  target: string;
  met: boolean | null;
  detail?: Record<string, unknown>;
}

function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '—';
  if (unit === 'alerts/s') return Math.round(v).toLocaleString('en-US');
  if (unit === 'MB') return v.toFixed(1);
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

function table(figures: Figure[]): string {
  const rows = [
    '| # | figure | Backstop | baseline | ratio | target | met |',
    '|---|---|---:|---:|---:|---|:---:|',
    ...figures.map((f) => `| ${f.id} | ${f.name} | ${fmt(f.backstop, f.unit)} ${f.unit} | ${fmt(f.baseline, f.unit)} ${f.unit} (${f.baselineName}) | ${Number.isFinite(f.ratio) ? f.ratio.toFixed(2) : '—'} | ${f.target} | ${f.met === null ? '' : f.met ? '✅' : '❌'} |`),
  ];
  return rows.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const busyBefore = await machineBusy();
  if (busyBefore > 0.15) log(`warning: the machine is already ${(busyBefore * 100).toFixed(0)}% busy before the run; every figure will be pessimistic`);
  const began = performance.now();
  mkdirSync(OUT, { recursive: true });
  const work = WORK;
  const details: Record<string, unknown> = {};
  // Figures 1–4 need a service per sample; the growth runs and cold start use a policy no larger than they need.
  const ackFirst = WARMUP + PROPOSAL_SAMPLES;
  if (ackFirst + ACK_WARMUP_ROUNDS + ACK_ROUNDS > SERVICE_COUNT) throw new Error('raise SERVICE_COUNT in common.ts: the workspace has too few services for these sample counts');
  // Fresh proposals for the click storms (one per round, the warm-up rounds included); each store gets its own.
  const ackServices = Array.from({ length: ACK_WARMUP_ROUNDS + ACK_ROUNDS }, (_, k) => ackFirst + k);
  const mainPolicy = policyYaml(join(work, 'postmortems'), ackFirst + ACK_WARMUP_ROUNDS + ACK_ROUNDS, (i) => i >= ackFirst);
  const growthServices = WARMUP + GROWTH_SAMPLES;
  const growthPolicy = policyYaml(join(work, 'postmortems'), growthServices);
  const policyFile = join(work, 'policy.yaml');
  writeFileSync(policyFile, growthPolicy);
  details.policies = { main: { services: ackFirst + ACK_WARMUP_ROUNDS + ACK_ROUNDS + 1, bytes: mainPolicy.length }, growthAndColdStart: { services: growthServices + 1, bytes: growthPolicy.length } };
  const figures: Figure[] = [];

  const slack = await Host.start('slack', { kind: 'slack' });
  const ws = new Workspace(slack);

  const env = (dbFile: string): Record<string, string> => ({
    SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: ws.url, PORT: '0', HOST: '127.0.0.1',
    BACKSTOP_DB: dbFile, ALERTMANAGER_TOKEN: AM_TOKEN, LOG_LEVEL: 'info', BACKSTOP_AUDIT_KEY: 'bench-audit-key-'.padEnd(48, '0'),
  });
  const newDb = (name: string, incidents: number): { file: string; seeded?: SeedCounts } => {
    const file = join(work, `${name}.db`);
    const db = openDb(file);
    seedRegistry(db);
    const targets = Array.from({ length: growthServices }, (_, i) => ({ service: service(i).service, channelId: service(i).channel, model: service(i).service }));
    const seeded = incidents > 0 ? seedPastIncidents(db, incidents, targets, APPROVERS.map((u) => u.id)) : undefined;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return { file, seeded };
  };
  const startBackstop = (label: string, dbFile: string, policy: string) =>
    Host.start(label, { kind: 'backstop', env: env(dbFile), policyYaml: policy, logFile: join(work, `${label}.log`) });

  log('starting baselines…');
  const bolt = await Host.start('bolt', { kind: 'bolt', apiUrl: ws.url });
  const bare = await Host.start('http', { kind: 'http', apiUrl: ws.url });

  // ---- The empty database: figures 1–4 ---------------------------------------------------------
  let fig2: Awaited<ReturnType<typeof intakePair>> | undefined;
  let fig3: Awaited<ReturnType<typeof proposalLatency>> | undefined;
  let fig1: Awaited<ReturnType<typeof ackLatency>> | undefined;
  if (['1', '2', '3', '4'].some(wanted)) {
    log('figures 1–4: Backstop on an empty database…');
    const main = newDb('empty', 0);
    const backstop = await startBackstop('backstop-empty', main.file, mainPolicy);
    await backstop.checkClock();

    if (wanted('3') || wanted('4')) {
      fig3 = await proposalLatency(backstop, ws, Array.from({ length: WARMUP + PROPOSAL_SAMPLES }, (_, k) => k));
      const relay = await relayLatency(bare, ws, Array.from({ length: WARMUP + PROPOSAL_SAMPLES }, (_, k) => k));
      const f = fig3.latency;
      figures.push({ id: '3', name: 'alert → proposal posted, p50', unit: 'ms', backstop: f.p50, baseline: relay.p50, baselineName: 'bare http + WebClient post', ratio: f.p50 / relay.p50, target: '', met: null });
      figures.push({ id: '3', name: 'alert → proposal posted, p99', unit: 'ms', backstop: f.p99, baseline: relay.p99, baselineName: 'bare http + WebClient post', ratio: f.p99 / relay.p99, target: '< 1,000 ms', met: f.p99 < 1000, detail: { backstop: f, baseline: relay } });
      log(`  alert → proposal: p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms`);
    }

    if (wanted('4') && fig3) {
      const fig4 = await approvalLatency(backstop, ws, fig3.messages);
      const boltExec = await boltApprovalLatency(bolt, ws, fig3.messages.get(0)!, PROPOSAL_SAMPLES);
      figures.push({ id: '4', name: 'approval → adapter execute, p50', unit: 'ms', backstop: fig4.p50, baseline: boltExec.p50, baselineName: 'bare Bolt listener', ratio: fig4.p50 / boltExec.p50, target: '', met: null });
      figures.push({ id: '4', name: 'approval → adapter execute, p99', unit: 'ms', backstop: fig4.p99, baseline: boltExec.p99, baselineName: 'bare Bolt listener', ratio: fig4.p99 / boltExec.p99, target: '< 100 ms', met: fig4.p99 < 100, detail: { backstop: fig4, baseline: boltExec } });
      log(`  approval → execute: p50 ${fig4.p50.toFixed(1)} ms, p99 ${fig4.p99.toFixed(1)} ms`);
    }

    if (wanted('1')) {
      const ackProposals = (await proposalLatency(backstop, ws, ackServices, 0)).messages;
      fig1 = await ackLatency(backstop, bolt, ws, ackProposals);
      const ratio = fig1.backstop.p99 / fig1.bolt.p99;
      figures.push({ id: '1', name: `ack, ${CLICKS} concurrent clicks, p50`, unit: 'ms', backstop: fig1.backstop.p50, baseline: fig1.bolt.p50, baselineName: 'bare Bolt', ratio: fig1.backstop.p50 / fig1.bolt.p50, target: '', met: null });
      figures.push({ id: '1', name: `ack, ${CLICKS} concurrent clicks, p99`, unit: 'ms', backstop: fig1.backstop.p99, baseline: fig1.bolt.p99, baselineName: 'bare Bolt', ratio, target: 'ratio ≤ 1.5', met: ratio <= 1.5, detail: { backstop: fig1.backstop, baseline: fig1.bolt } });
      log(`  ack: Backstop p99 ${fig1.backstop.p99.toFixed(1)} ms, bare Bolt p99 ${fig1.bolt.p99.toFixed(1)} ms`);
    }

    if (wanted('2')) {
      fig2 = await intakePair(backstop, bare, 4);
      await backstop.settle();
      const acc = account(main.file, [fig2.warmup, fig2.backstop]);
      const ratio = fig2.backstop.alertsPerSecond / fig2.bare.alertsPerSecond;
      figures.push({
        id: '2', name: `alert intake (${ALERTS_PER_PAYLOAD}/payload, ${INTAKE_CONCURRENCY} in flight)`, unit: 'alerts/s', backstop: fig2.backstop.alertsPerSecond, baseline: fig2.bare.alertsPerSecond,
        // When the load generator used a whole core, the bare server could go faster still: the ratio is an upper bound.
        baselineName: fig2.bare.clientCpu > 0.85 ? 'bare node:http; client-bound' : 'bare node:http',
        ratio, target: '≥ 2,000/s and ratio ≥ 0.5', met: fig2.backstop.alertsPerSecond >= 2000 && ratio >= 0.5,
        detail: { backstop: { ...fig2.backstop, replies: undefined }, baseline: { ...fig2.bare, replies: undefined } },
      });
      figures.push({ id: '2', name: 'alerts accounted for (rows / sent)', unit: 'alerts', backstop: acc.rows, baseline: acc.sent, baselineName: 'sent', ratio: acc.rows / acc.sent, target: 'all, each reported new once', met: acc.ok, detail: { ...acc } });
      log(`  intake: ${Math.round(fig2.backstop.alertsPerSecond)} alerts/s vs ${Math.round(fig2.bare.alertsPerSecond)} bare; accounted ${acc.rows}/${acc.sent}`);
    }
    details.emptyDbStats = await backstop.stats();
    await backstop.stop();
  }

  // ---- The PostgreSQL store: figures 1 and 2 again, as 1pg and 2pg ------------------------------
  const notes: string[] = [];
  if (wanted('1pg') || wanted('2pg')) {
    if (!postgresInstalled()) {
      const why = `PostgreSQL is not installed (no postgres and initdb in ${postgresBinDir() ?? '/usr/lib/postgresql/<major>/bin or `pg_config --bindir`'}; Debian: apt-get install postgresql, or set BACKSTOP_PG_BIN)`;
      notes.push(`figures 1pg and 2pg (Backstop on PostgreSQL) skipped: ${why}`);
      details.postgres = { skipped: why };
      log(`figures 1pg, 2pg skipped: ${why}`);
    } else {
      log('figures 1pg, 2pg: Backstop on the PostgreSQL store…');
      const pgHost = await Host.start('postgres', { kind: 'postgres' });
      try {
        details.postgres = await postgresDetails(pgHost);
        /** Backstop with its shared state in a fresh schema; its SQLite file keeps only the replica's own things (the embedded registry). */
        const onPostgres = async (label: string) => {
          const { schema, url } = (await pgHost.call('schema')) as { schema: string; url: string };
          const own = newDb(label, 0);
          const host = await Host.start(label, { kind: 'backstop', env: { ...env(own.file), BACKSTOP_DATABASE_URL: url }, policyYaml: mainPolicy, logFile: join(work, `${label}.log`) });
          return { host, schema };
        };

        if (wanted('1pg')) {
          const { host } = await onPostgres('backstop-pg-ack');
          const ackProposals = (await proposalLatency(host, ws, ackServices, 0)).messages;
          const r = await ackLatency(host, bolt, ws, ackProposals);
          const ratio = r.backstop.p99 / r.bolt.p99;
          figures.push({ id: '1pg', name: `ack, ${CLICKS} concurrent clicks, p50, on PostgreSQL`, unit: 'ms', backstop: r.backstop.p50, baseline: r.bolt.p50, baselineName: 'bare Bolt', ratio: r.backstop.p50 / r.bolt.p50, target: '', met: null });
          figures.push({ id: '1pg', name: `ack, ${CLICKS} concurrent clicks, p99, on PostgreSQL`, unit: 'ms', backstop: r.backstop.p99, baseline: r.bolt.p99, baselineName: 'bare Bolt', ratio, target: 'ratio ≤ 1.5', met: ratio <= 1.5, detail: { backstop: r.backstop, baseline: r.bolt, sqliteP99: fig1?.backstop.p99 ?? null } });
          const vs = fig1 ? ` (SQLite ${fig1.backstop.p99.toFixed(1)} ms)` : '';
          log(`  ack on PostgreSQL: Backstop p99 ${r.backstop.p99.toFixed(1)} ms${vs}, bare Bolt p99 ${r.bolt.p99.toFixed(1)} ms`);
          details.postgresAckStats = await host.stats();
          await host.stop();
        }

        if (wanted('2pg')) {
          const { host, schema } = await onPostgres('backstop-pg-intake');
          const r = await intakePair(host, bare, 4);
          await host.settle();
          const acc = await accountPostgres(pgHost, schema, [r.warmup, r.backstop]);
          const ratio = r.backstop.alertsPerSecond / r.bare.alertsPerSecond;
          figures.push({
            id: '2pg', name: `alert intake (${ALERTS_PER_PAYLOAD}/payload, ${INTAKE_CONCURRENCY} in flight), on PostgreSQL`, unit: 'alerts/s', backstop: r.backstop.alertsPerSecond, baseline: r.bare.alertsPerSecond,
            baselineName: r.bare.clientCpu > 0.85 ? 'bare node:http; client-bound' : 'bare node:http',
            ratio, target: '≥ 2,000/s and ratio ≥ 0.5', met: r.backstop.alertsPerSecond >= 2000 && ratio >= 0.5,
            detail: { backstop: { ...r.backstop, replies: undefined }, baseline: { ...r.bare, replies: undefined }, sqliteAlertsPerSecond: fig2?.backstop.alertsPerSecond ?? null },
          });
          figures.push({ id: '2pg', name: 'alerts accounted for (rows in PostgreSQL / sent)', unit: 'alerts', backstop: acc.rows, baseline: acc.sent, baselineName: 'sent', ratio: acc.rows / acc.sent, target: 'all, each reported new once', met: acc.ok, detail: { ...acc, schema } });
          const vs = fig2 ? ` (SQLite ${Math.round(fig2.backstop.alertsPerSecond)})` : '';
          log(`  intake on PostgreSQL: ${Math.round(r.backstop.alertsPerSecond)} alerts/s${vs} vs ${Math.round(r.bare.alertsPerSecond)} bare; accounted ${acc.rows}/${acc.sent}`);
          details.postgresIntakeStats = await host.stats();
          await host.stop();
        }
      } finally {
        await pgHost.stop();
      }
    }
  }

  // ---- Growth: the same with past incidents ----------------------------------------------------
  let dbFor100k = '';
  let fresh10k = '';
  if (wanted('5')) {
    const growth: Record<string, unknown> = {};
    for (const n of [1_000, 10_000, 100_000]) {
      const label = `${n / 1000}k`;
      log(`figure 5: ${label} past incidents…`);
      const seededDb = newDb(`past-${label}`, n);
      if (n === 100_000) dbFor100k = seededDb.file;
      if (n === 10_000) {
        fresh10k = join(work, 'past-10k-untouched.db');
        copyFileSync(seededDb.file, fresh10k);
      }
      const host = await startBackstop(`backstop-${label}`, seededDb.file, growthPolicy);
      const atReady = await host.stats();
      const p = (await proposalLatency(host, ws, Array.from({ length: WARMUP + GROWTH_SAMPLES }, (_, k) => k))).latency;
      const afterProposals = await host.stats();
      const warm = await intake(host, '/alerts/alertmanager', 1);
      const run = await intake(host, '/alerts/alertmanager', 3);
      await host.settle();
      const a = account(seededDb.file, [warm, run]);
      const afterIntake = await host.stats();
      growth[label] = { seeded: seededDb.seeded, startBackstopMs: host.readyMs, spawnToReadyMs: host.spawnToReadyMs, proposal: p, intake: { ...run, replies: undefined }, accounting: a, memory: { atReady, afterProposals, afterIntake } };
      const emptyIntake = fig2?.backstop.alertsPerSecond ?? NaN;
      const emptyProposal = fig3?.latency ?? { p50: NaN, p99: NaN };
      figures.push({ id: '5', name: `intake with ${label} past incidents`, unit: 'alerts/s', backstop: run.alertsPerSecond, baseline: emptyIntake, baselineName: 'empty DB', ratio: run.alertsPerSecond / emptyIntake, target: '≥ 2,000/s, all accounted', met: run.alertsPerSecond >= 2000 && a.ok });
      figures.push({ id: '5', name: `alert → proposal with ${label} past incidents, p50`, unit: 'ms', backstop: p.p50, baseline: emptyProposal.p50, baselineName: 'empty DB', ratio: p.p50 / emptyProposal.p50, target: '', met: null });
      figures.push({ id: '5', name: `alert → proposal with ${label} past incidents, p99`, unit: 'ms', backstop: p.p99, baseline: emptyProposal.p99, baselineName: 'empty DB', ratio: p.p99 / emptyProposal.p99, target: '< 1,000 ms', met: p.p99 < 1000 });
      log(`  seeded in ${((seededDb.seeded?.ms ?? 0) / 1000).toFixed(1)} s; proposal p50 ${p.p50.toFixed(1)} / p99 ${p.p99.toFixed(1)} ms; intake ${Math.round(run.alertsPerSecond)} alerts/s`);
      await host.stop();
    }
    details.growth = growth;
  }
  await bolt.stop();
  await bare.stop();

  // ---- Memory and cold start as deployed: src/main.ts under tsx (npm start) and compiled (the Docker image) ----
  if (wanted('5')) {
    log('figure 5: memory and cold start of src/main.ts…');
    const build = compile(work);
    const modes: { name: string; args: string[]; bolt: string[] }[] = [{ name: 'tsx, as `npm start`', args: ['--import', 'tsx', 'src/main.ts'], bolt: ['--import', 'tsx'] }];
    if (build) modes.push({ name: 'compiled, as the Docker image', args: [join(build, 'main.js')], bolt: [] });
    else log('  tsc could not build src/ (see above): the compiled rows are left out');
    const mainEnv = async (dbFile: string) => {
      const port = await freePort();
      return { port, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env(dbFile), PORT: String(port), BACKSTOP_CONFIG: policyFile } };
    };
    const memory: Record<string, unknown> = {};
    for (const [k, mode] of modes.entries()) {
      // The same load as the growth run above, on an untouched copy of the 10k database.
      const db = join(work, `rss-${k}.db`);
      copyFileSync(fresh10k, db);
      const { port, env: e } = await mainEnv(db);
      const proc = await spawnServer(mode.args, e, `http://127.0.0.1:${port}/healthz`);
      const atReady = vmRss(proc.pid);
      const target: Target = { url: `http://127.0.0.1:${port}`, settle: async () => undefined };
      await proposalLatency(target, ws, Array.from({ length: WARMUP + GROWTH_SAMPLES }, (_, i) => i));
      await intake(target, '/alerts/alertmanager', 1);
      await intake(target, '/alerts/alertmanager', 3);
      const afterLoad = await settledRss(proc.pid);
      await proc.stop();
      const boltRss = await bareBoltRss(mode.bolt, ws);
      memory[mode.name] = { atReady, afterLoad, bareBolt: boltRss };
      figures.push({ id: '5', name: `RSS with 10k past incidents, after load (${mode.name})`, unit: 'MB', backstop: afterLoad, baseline: boltRss, baselineName: 'bare Bolt after 200 clicks', ratio: afterLoad / boltRss, target: '< 150 MB', met: afterLoad < 150 });
      log(`  ${mode.name}: RSS ${atReady.toFixed(0)} MB ready, ${afterLoad.toFixed(0)} MB after load (bare Bolt ${boltRss.toFixed(0)} MB)`);
    }
    details.memory = memory;

    const cold = newDb('cold', 0).file;
    const start = async (args: string[], dbFile: string) => {
      const { port, env: e } = await mainEnv(dbFile);
      const proc = await spawnServer(args, e, `http://127.0.0.1:${port}/healthz`);
      await proc.stop();
      return proc.readyMs;
    };
    const bareStart = async () => {
      const port = await freePort();
      const proc = await spawnServer(['-e', `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`], { PATH: process.env.PATH ?? '' }, `http://127.0.0.1:${port}/`);
      await proc.stop();
      return proc.readyMs;
    };
    // The first tsx start fills tsx's transform cache; a restart in production finds it filled.
    await start(modes[0]!.args, cold);
    // Interleaved, so a slow moment of the machine falls on every kind of start alike.
    const tsxStarts: number[] = [];
    const bareStarts: number[] = [];
    const bigStarts: number[] = [];
    const compiledStarts: number[] = [];
    for (let k = 0; k < COLD_STARTS; k++) {
      tsxStarts.push(await start(modes[0]!.args, cold));
      bareStarts.push(await bareStart());
      bigStarts.push(await start(modes[0]!.args, dbFor100k));
      if (modes[1]) compiledStarts.push(await start(modes[1].args, cold));
    }
    const coldMedian = median(tsxStarts);
    const bareMedian = median(bareStarts);
    figures.push({ id: '5', name: `cold start to /healthz 200 (tsx, median of ${COLD_STARTS})`, unit: 'ms', backstop: coldMedian, baseline: bareMedian, baselineName: 'node -e http server', ratio: coldMedian / bareMedian, target: '< 1,500 ms', met: coldMedian < 1500, detail: { backstop: tsxStarts, baseline: bareStarts } });
    figures.push({ id: '5', name: `cold start with 100k past incidents (tsx, median of ${COLD_STARTS})`, unit: 'ms', backstop: median(bigStarts), baseline: coldMedian, baselineName: 'empty DB', ratio: median(bigStarts) / coldMedian, target: '< 1,500 ms', met: median(bigStarts) < 1500, detail: { backstop: bigStarts } });
    let compiledLog = '';
    if (modes[1]) {
      figures.push({ id: '5', name: `cold start to /healthz 200 (compiled, median of ${COLD_STARTS})`, unit: 'ms', backstop: median(compiledStarts), baseline: bareMedian, baselineName: 'node -e http server', ratio: median(compiledStarts) / bareMedian, target: '< 1,500 ms', met: median(compiledStarts) < 1500, detail: { backstop: compiledStarts } });
      compiledLog = `; compiled ${median(compiledStarts).toFixed(0)} ms`;
    }
    log(`  cold start: ${coldMedian.toFixed(0)} ms (bare node ${bareMedian.toFixed(0)} ms); with 100k incidents ${median(bigStarts).toFixed(0)} ms${compiledLog}`);
  }

  await slack.stop();

  // ---- Report ----------------------------------------------------------------------------------
  const order = ['1', '1pg', '2', '2pg', '3', '4', '5'];
  figures.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const machine: Record<string, unknown> = { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memTotalGiB: +(totalmem() / 2 ** 30).toFixed(1), memFreeGiB: +(freemem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform} ${process.arch}` };
  const seconds = (performance.now() - began) / 1000;
  const busyAfter = await machineBusy();
  Object.assign(machine, { busyBefore: +busyBefore.toFixed(3), busyAfter: +busyAfter.toFixed(3), loadavg: loadavg().map((x) => +x.toFixed(2)) });
  const result = { date: new Date().toISOString(), seconds: +seconds.toFixed(1), machine, figures, notes, details };
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);

  const md = table(figures);
  console.log(`\n${md}\n`);
  for (const note of notes) console.log(`note: ${note}\n`);
  const checked = figures.filter((f) => f.met !== null);
  console.log(`targets met: ${checked.filter((f) => f.met).length}/${checked.length}`);
  for (const f of checked.filter((x) => !x.met)) console.log(`  missed: ${f.id} ${f.name} — ${fmt(f.backstop, f.unit)} ${f.unit}, target ${f.target}${f.target.includes('ratio') ? ` (ratio ${f.ratio.toFixed(2)})` : ''}`);
  console.log(`\n${String(machine.nproc)} × ${String(machine.cpu)}, ${String(machine.memTotalGiB)} GiB, node ${process.version}; ${seconds.toFixed(0)} s; machine busy before/after: ${(busyBefore * 100).toFixed(0)}% / ${(busyAfter * 100).toFixed(0)}%; written to ${resolve(OUT, 'latest.json')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
