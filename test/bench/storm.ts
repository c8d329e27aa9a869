/**
 * The alert storm: 5,000 alerts across 50 services in 10 s, delivered as Alertmanager delivers
 * them (every group re-sent whole on each flush, so most alerts are repeats; some resolve half
 * way), with the production Slack pacing on, while 50 approvers keep clicking on earlier
 * proposals. Reports the proposals made, when the last one reached Slack, the acks of the clicks
 * during the storm against the same rounds on a quiet bot, Slack calls per channel against
 * Slack's per-channel rate, and that every alert is accounted for.
 */
import Database from 'better-sqlite3';
import type { SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { SLACK_PACING } from '../../src/slack/outbox-drainer.js';
import { APPROVERS, policyYaml, service } from './common.js';
import { newDb, startBackstop, type Context } from './context.js';
import { click, type Host } from './hosts.js';
import { Client, latency, type Latency } from './load.js';
import { proposalLatency } from './measure.js';
import { QUICK, START, WORK, amHeaders, log, ms, wanted } from './settings.js';

const SERVICES = 50;
const FLUSHES = 10;
/** Alerts per Alertmanager group (one group per service): 50 services × 10 flushes × 10 = 5,000. */
const GROUP = 10;
/** From flush 5 on, one more alert of each group resolves per flush (5 per service). */
const RESOLVE_FROM = 5;
/** Click rounds on a quiet bot and during the storm, one every ROUND_MS, each on a fresh proposal. */
const ROUNDS = QUICK ? 4 : 10;
const ROUND_MS = 900;
const CLICK_FIRST = SERVICES;

const fingerprint = (svc: number, j: number) => `e${svc.toString(16).padStart(3, '0')}${j.toString(16).padStart(12, '0')}`;

/** Flush `k` of service `svc`'s group, as Alertmanager's webhook (v4) sends it. */
export function stormDelivery(svc: number, k: number): string {
  const s = service(svc).service;
  const alerts = Array.from({ length: GROUP }, (_, j) => {
    const resolved = k >= RESOLVE_FROM && j <= k - RESOLVE_FROM;
    return {
      status: resolved ? 'resolved' : 'firing',
      labels: { alertname: j % 2 ? 'LatencyP99High' : 'HighErrorRate', service: s, severity: 'critical', instance: `${s}-${j}:8080` },
      annotations: { summary: `error rate above 5% on ${s}` },
      startsAt: START, endsAt: resolved ? new Date(Date.parse(START) + 30_000).toISOString() : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph', fingerprint: fingerprint(svc, j),
    };
  });
  return JSON.stringify({
    version: '4', groupKey: `{}:{service="${s}"}`, truncatedAlerts: 0, status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved', receiver: 'backstop',
    groupLabels: { service: s }, commonLabels: { service: s, severity: 'critical' }, commonAnnotations: {}, externalURL: 'http://alertmanager.example:9093', alerts,
  });
}

/** What the storm must add up to: every delivery's alerts, counted once each as new, resolved or a repeat. */
export function stormExpected() {
  const perService = { received: FLUSHES * GROUP, new: GROUP, resolved: Math.max(0, FLUSHES - RESOLVE_FROM) };
  return { received: SERVICES * perService.received, new: SERVICES * perService.new, resolved: SERVICES * perService.resolved, duplicates: SERVICES * (perService.received - perService.new - perService.resolved) };
}

/** Rounds of 50 concurrent clicks, one round every ROUND_MS, each on its own proposal; the ack of every click. */
async function clickRounds(ctx: Context, host: Host, proposals: [number, SlackMessage][]): Promise<number[]> {
  const client = new Client(host.url, APPROVERS.length);
  const acks: number[] = [];
  for (const [i, message] of proposals) {
    const s = service(i);
    const started = performance.now();
    const bodies = await ctx.ws.clickBodies(APPROVERS, { id: s.channel, name: s.channelName }, message);
    const replies = await Promise.all(bodies.map((b) => click(client, b)));
    const bad = replies.find((r) => r.status !== 200);
    if (bad) throw new Error(`storm: a click was answered ${bad.status}: ${bad.body}`);
    acks.push(...replies.map((r) => r.ms));
    await new Promise((r) => setTimeout(r, Math.max(0, ROUND_MS - (performance.now() - started))));
  }
  client.close();
  return acks;
}

interface ChannelRate {
  channel: string;
  calls: number;
  /** Most calls in any 1 s. */
  max1s: number;
  /** Most calls in any 10 s, per second. */
  max10sPerSecond: number;
  /** Calls beyond what Slack's per-channel rate (1/s, bursts of SLACK_PACING.channelBurst) allows in some window. */
  excess: number;
}

function channelRate(channel: string, times: number[]): ChannelRate {
  const t = [...times].sort((a, b) => a - b);
  let max1s = 0;
  let max10 = 0;
  let excess = 0;
  for (let i = 0; i < t.length; i++) {
    let j1 = i;
    while (j1 + 1 < t.length && t[j1 + 1]! - t[i]! < 1000) j1++;
    let j10 = i;
    while (j10 + 1 < t.length && t[j10 + 1]! - t[i]! < 10_000) j10++;
    max1s = Math.max(max1s, j1 - i + 1);
    max10 = Math.max(max10, j10 - i + 1);
    // Any window [t_i, t_j] may hold the burst plus one call per second elapsed.
    for (let j = i; j < t.length; j++) excess = Math.max(excess, j - i + 1 - (SLACK_PACING.channelBurst + Math.floor((t[j]! - t[i]!) / 1000)));
  }
  return { channel, calls: t.length, max1s, max10sPerSecond: max10 / 10, excess };
}

export async function stormFigures(ctx: Context): Promise<void> {
  if (!wanted('storm')) return;
  log(`storm: ${SERVICES * FLUSHES * GROUP} alerts across ${SERVICES} services in ${FLUSHES} s, ${APPROVERS.length} approvers clicking, Slack pacing on…`);
  const clickServices = 2 * ROUNDS;
  const policy = policyYaml(`${WORK}/postmortems`, CLICK_FIRST + clickServices, (i) => i >= CLICK_FIRST);
  const db = newDb(ctx, 'storm', 0);
  const host = await startBackstop(ctx, 'backstop-storm', db.file, policy, { pacing: SLACK_PACING });
  await host.checkClock();
  // The earlier proposals the approvers click on: one per round, quiet rounds first.
  const earlier = [...(await proposalLatency(host, ctx.ws, Array.from({ length: clickServices }, (_, k) => CLICK_FIRST + k), 0, { settle: false })).messages];
  await host.settle();
  const quiet = await clickRounds(ctx, host, earlier.slice(0, ROUNDS));
  await host.settle();
  await ctx.ws.quiet(200);

  const stormChannels = new Set(Array.from({ length: SERVICES }, (_, i) => service(i).channel));
  const arrived = new Map<string, bigint>();
  let extra = 0;
  let allIn!: () => void;
  const allArrived = new Promise<void>((r) => (allIn = r));
  ctx.ws.onProposal = (channel, hr) => {
    if (!stormChannels.has(channel)) return;
    if (arrived.has(channel)) extra++;
    else arrived.set(channel, hr);
    if (arrived.size === SERVICES) allIn();
  };
  const client = new Client(host.url, SERVICES);
  const totals = { received: 0, new: 0, duplicates: 0, resolved: 0, unmatched: 0, failed: 0 };
  const t0 = process.hrtime.bigint();
  const began = performance.now();
  // Alertmanager spreads its groups' flushes: service s of flush k leaves at k s + s × 20 ms.
  const sends: Promise<void>[] = [];
  for (let k = 0; k < FLUSHES; k++) {
    for (let s = 0; s < SERVICES; s++) {
      const due = k * 1000 + (s * 1000) / SERVICES;
      sends.push((async () => {
        await new Promise((r) => setTimeout(r, Math.max(0, due - (performance.now() - began))));
        const r = await client.send('/alerts/alertmanager', stormDelivery(s, k), amHeaders);
        if (r.status !== 200) {
          totals.failed++;
          return;
        }
        const b = JSON.parse(r.body) as Partial<typeof totals>;
        for (const key of ['received', 'new', 'duplicates', 'resolved', 'unmatched'] as const) totals[key] += b[key] ?? 0;
      })());
    }
  }
  const during = clickRounds(ctx, host, earlier.slice(ROUNDS));
  await Promise.all(sends);
  const sentIn = (performance.now() - began) / 1000;
  const stormAcks = await during;
  const timeout = setTimeout(allIn, 60_000);
  await allArrived;
  clearTimeout(timeout);
  ctx.ws.onProposal = undefined;
  const lastIn = arrived.size ? Math.max(...[...arrived.values()].map((hr) => ms(t0, hr))) : NaN;
  await host.settle();
  await ctx.ws.quiet(1500);
  const calls = (await ctx.slack.call('calls', { since: t0.toString() })) as Record<string, number[]>;
  const rates = Object.entries(calls).map(([ch, times]) => channelRate(ch, times)).sort((a, b) => b.max1s - a.max1s || b.calls - a.calls);
  const worst = rates[0] ?? { channel: '—', calls: 0, max1s: 0, max10sPerSecond: 0, excess: 0 };
  const over = rates.filter((r) => r.excess > 0);

  const rows = new Database(db.file, { readonly: true });
  const storm = Array.from({ length: SERVICES }, (_, i) => service(i).service);
  const inList = storm.map(() => '?').join(', ');
  const alertRows = rows.prepare(`SELECT count(*) AS n, sum(status = 'resolved') AS resolved FROM alerts WHERE service IN (${inList})`).get(...storm) as { n: number; resolved: number };
  const proposalRows = rows.prepare(`SELECT count(*) FROM proposals WHERE service IN (${inList})`).pluck().get(...storm) as number;
  rows.close();
  client.close();
  await host.stop();

  const want = stormExpected();
  const accounted = totals.failed === 0 && totals.received === want.received && totals.new === want.new && totals.resolved === want.resolved && totals.duplicates === want.duplicates
    && alertRows.n === want.new && alertRows.resolved === want.resolved;
  const q: Latency = latency(quiet);
  const st: Latency = latency(stormAcks);
  const f = ctx.figures;
  f.push({ id: 'storm', name: `proposals made for ${SERVICES} firing services (in Slack / in the store)`, unit: 'proposals', backstop: arrived.size, baseline: SERVICES, baselineName: 'services firing', ratio: arrived.size / SERVICES, target: 'one per service, no extra', check: () => arrived.size === SERVICES && proposalRows === SERVICES && extra === 0, detail: { inSlack: arrived.size, inStore: proposalRows, extra } });
  f.push({ id: 'storm', name: 'storm start → every proposal in Slack (pacing on)', unit: 'ms', backstop: lastIn, baseline: sentIn * 1000, baselineName: 'storm length', ratio: lastIn / (sentIn * 1000), target: '< 15,000 ms', check: (b) => b < 15_000 });
  f.push({ id: 'storm', name: `ack p99 of ${APPROVERS.length} concurrent clicks during the storm`, unit: 'ms', backstop: st.p99, baseline: q.p99, baselineName: 'same rounds, quiet bot', ratio: st.p99 / q.p99, target: 'ratio ≤ 2', check: (_b, r) => r <= 2, detail: { storm: st, quiet: q } });
  f.push({ id: 'storm', name: `chat.postMessage per channel, most in any 1 s (channel ${worst.channel})`, unit: 'calls', backstop: worst.max1s, baseline: SLACK_PACING.channelBurst, baselineName: `burst Slack tolerates; 1/s after`, ratio: worst.max1s / SLACK_PACING.channelBurst, target: 'never above 1/s with short bursts', check: () => over.length === 0, detail: { worst, channelsOverRate: over.slice(0, 5), channels: rates.length } });
  f.push({ id: 'storm', name: 'storm alerts accounted for (new + resolved + repeats / sent)', unit: 'alerts', backstop: totals.new + totals.resolved + totals.duplicates, baseline: want.received, baselineName: 'sent', ratio: (totals.new + totals.resolved + totals.duplicates) / want.received, target: 'all, rows match', check: () => accounted, detail: { totals, want, alertRows } });
  log(`  ${arrived.size}/${SERVICES} proposals in Slack after ${lastIn.toFixed(0)} ms (sent in ${sentIn.toFixed(1)} s); ack p99 ${st.p99.toFixed(1)} ms in the storm vs ${q.p99.toFixed(1)} ms quiet; busiest channel ${worst.channel}: ${worst.max1s} calls in 1 s, ${over.length} channel(s) over Slack's rate; accounted ${accounted ? 'all' : 'NOT all'} (${JSON.stringify(totals)})`);
}
