/**
 * The measurements themselves: alert → proposal, approval → adapter, the click storm's acks, and
 * alert intake (load from generator processes, loadgen.ts) with its accounting.
 */
import Database from 'better-sqlite3';
import type { SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { APPROVERS, STORM, alertmanagerBody, service } from './common.js';
import { click, type Host, type Target, type Workspace } from './hosts.js';
import { Client, latency, type Latency } from './load.js';
import type { Intake, LoadGenerators } from './loadgen.js';
import { ACK_WARMUP_ROUNDS, ALERTS_PER_PAYLOAD, CLICKS, INTAKE_CONCURRENCY, START, WARMUP, amHeaders, ms, nextFingerprint } from './settings.js';
// ---------------------------------------------------------------------------------------------
// Measurements

/**
 * Figure 3: POST one firing alert for a fresh service → the proposal message arrives at Slack.
 * The first `warmup` samples are not counted.
 */
/**
 * `settle: false` (Slack pacing on): earlier samples' paced thread replies are left to trickle out
 * in their own channels rather than waited for, as they would in production.
 */
export async function proposalLatency(host: Target, ws: Workspace, services: number[], warmup = WARMUP, opts: { settle?: boolean } = {}): Promise<{ latency: Latency; messages: Map<number, SlackMessage> }> {
  const client = new Client(host.url, 4);
  const samples: number[] = [];
  const messages = new Map<number, SlackMessage>();
  for (const i of services) {
    const s = service(i);
    if (opts.settle !== false) await host.settle();
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
export async function relayLatency(host: Host, ws: Workspace, services: number[]): Promise<Latency> {
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
export async function approvalLatency(host: Host, ws: Workspace, messages: Map<number, SlackMessage>, opts: { settle?: boolean } = {}): Promise<Latency> {
  const client = new Client(host.url, 4);
  const samples: number[] = [];
  const [first, second] = [APPROVERS[0]!, APPROVERS[1]!];
  for (const [i, message] of messages) {
    const s = service(i);
    const channel = { id: s.channel, name: s.channelName };
    const recorded = ws.ephemeralTo(s.channel, first.id);
    await click(client, await ws.clickBody(first, channel, message));
    await recorded;
    if (opts.settle !== false) await host.settle();
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
export async function boltApprovalLatency(bolt: Host, ws: Workspace, message: SlackMessage, n: number): Promise<Latency> {
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
export async function ackLatency(backstop: Host, bolt: Host, ws: Workspace, proposals: Map<number, SlackMessage>): Promise<{ backstop: Latency; bolt: Latency }> {
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

export type { Intake } from './loadgen.js';

let intakeRun = 0;

/** Closed-loop intake from the generator processes: deliveries of ALERTS_PER_PAYLOAD unique firing alerts each. */
export async function intake(gen: LoadGenerators, host: Target, path: string, seconds: number): Promise<Intake> {
  // A fresh fingerprint prefix per run, so no two runs against one database collide (`b`…`f`, then wrapping with a run digit).
  const prefix = `${'bdf'[intakeRun % 3]}${Math.floor(intakeRun / 3) % 16}`.slice(0, 2);
  intakeRun++;
  return gen.intake({ url: host.url, path, headers: amHeaders, service: STORM.service, alertsPerPayload: ALERTS_PER_PAYLOAD, startsAt: START, concurrency: INTAKE_CONCURRENCY, seconds, prefix });
}

export interface Accounting {
  sent: number;
  reportedNew: number;
  rows: number;
  ok: boolean;
}

/** Every alert of every 200 answer must be a row (`rows`: the storm's rows in the store), and reported as new exactly once. */
export function accountFor(rows: number, runs: Intake[]): Accounting {
  const sent = runs.reduce((n, r) => n + r.alerts, 0);
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const reportedNew = runs.reduce((n, r) => n + r.reportedNew, 0);
  return { sent, reportedNew, rows, ok: failed === 0 && rows === sent && reportedNew === sent };
}

/** The same, counting rows in a SQLite file. */
export function account(dbFile: string, runs: Intake[]): Accounting {
  const db = new Database(dbFile, { readonly: true });
  const rows = db.prepare('SELECT count(*) FROM alerts WHERE service = ?').pluck().get(STORM.service) as number;
  db.close();
  return accountFor(rows, runs);
}

/** The durable floor's own table (durable-floor.ts) holds only intake alerts. */
export function accountFloor(dbFile: string, runs: Intake[]): Accounting {
  const db = new Database(dbFile, { readonly: true });
  const rows = db.prepare('SELECT count(*) FROM alerts').pluck().get() as number;
  db.close();
  return accountFor(rows, runs);
}

/** The same, counting rows in a PostgreSQL schema (asked of the PostgreSQL host). */
export async function accountPostgres(pg: Host, schema: string, runs: Intake[]): Promise<Accounting> {
  const rows = (await pg.call('sql', { text: `SELECT count(*)::int AS n FROM ${schema}.alerts WHERE service = $1`, values: [STORM.service] })) as { n: number }[];
  return accountFor(rows[0]!.n, runs);
}

export interface IntakeSet {
  warmup: Intake;
  backstop: Intake;
  floor: Intake;
  floorWarmup: Intake;
  bare: Intake;
}

/** Backstop, the durable floor and bare node:http, each warmed up, then measured one after another. */
export async function intakeSet(gen: LoadGenerators, backstop: Target, floor: Target, bare: Target, seconds: number): Promise<IntakeSet> {
  const warmup = await intake(gen, backstop, '/alerts/alertmanager', 1);
  const floorWarmup = await intake(gen, floor, '/', 1);
  await intake(gen, bare, '/', 1);
  const b = await intake(gen, backstop, '/alerts/alertmanager', seconds);
  const f = await intake(gen, floor, '/', seconds);
  const h = await intake(gen, bare, '/', seconds);
  return { warmup, backstop: b, floor: f, floorWarmup, bare: h };
}
