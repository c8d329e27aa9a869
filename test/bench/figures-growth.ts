/**
 * Figure 5: the same load on databases with 1k, 10k and 100k past incidents; the peak memory of
 * Backstop as `npm start` runs it and as compiled, with 10k incidents, against a bare Bolt app's
 * peak; and cold start to /healthz.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: plain JavaScript launcher without types
import { buildIsCurrent as buildIsCurrentJs } from '../../bin/start.js';
import { newDb, backstopEnv, startBackstop, type Context } from './context.js';
import type { Target } from './hosts.js';
import { account, intake, proposalLatency } from './measure.js';
import { bareBoltRss, compile, freePort, spawnServer, vmHwm, vmRss } from './processes.js';
import { COLD_STARTS, GROWTH_SAMPLES, INTAKE_SECONDS, ROOT, WARMUP, WORK, log, median, wanted } from './settings.js';

const buildIsCurrent = buildIsCurrentJs as () => boolean;
const SIZES = [1_000, 10_000, 100_000];
/** Seeded once per run (100k takes ~20 s), copied for every repetition so each starts untouched. */
const seeded = new Map<number, { file: string; seeded?: unknown }>();

function seededCopy(ctx: Context, n: number, name: string): { file: string; seeded?: unknown } {
  let s = seeded.get(n);
  if (!s) {
    s = newDb(ctx, `past-${n / 1000}k-untouched`, n);
    seeded.set(n, s);
  }
  const file = join(WORK, `${name}-r${ctx.rep}.db`);
  copyFileSync(s.file, file);
  return { file, seeded: s.seeded };
}

export async function growthFigures(ctx: Context): Promise<void> {
  if (!wanted('5')) return;
  const { ws, figures } = ctx;
  const growth: Record<string, unknown> = {};
  const samples = Array.from({ length: WARMUP + GROWTH_SAMPLES }, (_, k) => k);
  for (const n of SIZES) {
    const label = `${n / 1000}k`;
    log(`figure 5: ${label} past incidents…`);
    const db = seededCopy(ctx, n, `past-${label}`);
    const host = await startBackstop(ctx, `backstop-${label}`, db.file, ctx.policies.growth);
    const p = (await proposalLatency(host, ws, samples)).latency;
    const warm = await intake(ctx.gen, host, '/alerts/alertmanager', 1);
    const run = await intake(ctx.gen, host, '/alerts/alertmanager', INTAKE_SECONDS);
    await host.settle();
    const a = account(db.file, [warm, run]);
    const stats = await host.stats();
    growth[label] = { seeded: db.seeded, startBackstopMs: host.readyMs, proposal: p, intake: run, accounting: a, memory: { peakRssMB: vmHwm(host.pid), stats } };
    const emptyIntake = ctx.empty.alertsPerSecond ?? NaN;
    const emptyProposal = ctx.empty.proposal ?? { p50: NaN, p99: NaN };
    figures.push({ id: '5', name: `intake with ${label} past incidents`, unit: 'alerts/s', backstop: run.alertsPerSecond, baseline: emptyIntake, baselineName: 'empty DB', ratio: run.alertsPerSecond / emptyIntake, target: '≥ 2,000/s, all accounted', check: (b) => b >= 2000 && a.ok });
    figures.push({ id: '5', name: `alert → proposal with ${label} past incidents, p99`, unit: 'ms', backstop: p.p99, baseline: emptyProposal.p99, baselineName: 'empty DB', ratio: p.p99 / emptyProposal.p99, target: '< 1,000 ms', check: (b) => b < 1000 });
    log(`  proposal p50 ${p.p50.toFixed(1)} / p99 ${p.p99.toFixed(1)} ms; intake ${Math.round(run.alertsPerSecond)} alerts/s (generators ${run.generatorCpu.map((c) => `${Math.round(c * 100)} %`).join(' / ')})`);
    await host.stop();
  }
  ctx.details[`growth-r${ctx.rep}`] = growth;
  await memoryFigures(ctx);
}

/** Ready to serve: spawn → /healthz answers 200. */
async function mainEnv(ctx: Context, dbFile: string) {
  const port = await freePort();
  return { port, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...backstopEnv(ctx.ws, dbFile), PORT: String(port), BACKSTOP_CONFIG: ctx.policies.growthFile } };
}

let build: string | undefined | null = null;

async function memoryFigures(ctx: Context): Promise<void> {
  const { ws, figures } = ctx;
  log('figure 5: peak memory and cold start of src/main.ts…');
  // The Docker image's `node dist/main.js`, compiled once per run into the run's own folder (never into the checkout's dist/).
  if (build === null) build = compile(WORK);
  const launcher = buildIsCurrent() ? 'ran dist/' : 'ran tsx: dist/ older than src/';
  const modes: { name: string; args: string[]; bolt: string[] }[] = [{ name: `\`npm start\`, ${launcher}`, args: [join(ROOT, 'bin', 'start.js')], bolt: buildIsCurrent() ? [] : ['--import', 'tsx'] }];
  if (build) modes.push({ name: 'compiled, as the Docker image', args: [join(build, 'main.js')], bolt: [] });
  else log('  tsc could not build src/ (see above): the compiled rows are left out');
  const memory: Record<string, unknown> = {};
  for (const [k, mode] of modes.entries()) {
    // The same load as the growth run, on an untouched copy of the 10k database.
    const db = seededCopy(ctx, 10_000, `rss-${k}`);
    const { port, env } = await mainEnv(ctx, db.file);
    const proc = await spawnServer(mode.args, env, `http://127.0.0.1:${port}/healthz`);
    const atReady = vmRss(proc.pid);
    const target: Target = { url: `http://127.0.0.1:${port}`, settle: async () => undefined };
    await proposalLatency(target, ws, Array.from({ length: WARMUP + GROWTH_SAMPLES }, (_, i) => i));
    await intake(ctx.gen, target, '/alerts/alertmanager', 1);
    await intake(ctx.gen, target, '/alerts/alertmanager', INTAKE_SECONDS);
    const peak = vmHwm(proc.pid);
    const after = vmRss(proc.pid);
    await proc.stop();
    const bolt = await bareBoltRss(mode.bolt, ws);
    memory[mode.name] = { atReady, peak, after, bareBoltPeak: bolt };
    const compiled = mode.args[0]!.endsWith('main.js');
    figures.push({
      id: '5', name: `peak RSS with 10k past incidents, during load (${mode.name})`, unit: 'MB', backstop: peak, baseline: bolt, baselineName: 'bare Bolt peak over 200 clicks', ratio: peak / bolt,
      target: compiled ? 'ratio ≤ 1.8' : '', check: compiled ? (_b, r) => r <= 1.8 : undefined, detail: { atReady, after },
    });
    log(`  ${mode.name}: RSS ${atReady.toFixed(0)} MB ready, peak ${peak.toFixed(0)} MB, ${after.toFixed(0)} MB after (bare Bolt peak ${bolt.toFixed(0)} MB)`);
  }
  ctx.details[`memory-r${ctx.rep}`] = memory;

  const cold = newDb(ctx, 'cold', 0).file;
  const big = seededCopy(ctx, 100_000, 'cold-100k').file;
  const start = async (args: string[], dbFile: string) => {
    const { port, env } = await mainEnv(ctx, dbFile);
    const proc = await spawnServer(args, env, `http://127.0.0.1:${port}/healthz`);
    await proc.stop();
    return proc.readyMs;
  };
  const bareStart = async () => {
    const port = await freePort();
    const proc = await spawnServer(['-e', `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`], { PATH: process.env.PATH ?? '' }, `http://127.0.0.1:${port}/`);
    await proc.stop();
    return proc.readyMs;
  };
  // One unmeasured start fills tsx's transform cache (a restart in production finds it filled).
  await start(modes[0]!.args, cold);
  // Interleaved, so a slow moment of the machine falls on every kind of start alike.
  const runs = modes.map(() => [] as number[]);
  const bigRuns: number[] = [];
  const bare: number[] = [];
  for (let k = 0; k < COLD_STARTS; k++) {
    for (const [i, mode] of modes.entries()) runs[i]!.push(await start(mode.args, cold));
    bare.push(await bareStart());
    bigRuns.push(await start(modes[modes.length - 1]!.args, big));
  }
  const bareMedian = median(bare);
  for (const [i, mode] of modes.entries()) {
    const m = median(runs[i]!);
    const compiled = mode.args[0]!.endsWith('main.js');
    figures.push({ id: '5', name: `cold start to /healthz 200 (${mode.name}, median of ${COLD_STARTS})`, unit: 'ms', backstop: m, baseline: bareMedian, baselineName: 'node -e http server', ratio: m / bareMedian, target: compiled ? '< 1,000 ms' : '', check: compiled ? (b) => b < 1000 : undefined, detail: { samples: runs[i] } });
  }
  const last = modes[modes.length - 1]!;
  const lastMedian = median(runs[modes.length - 1]!);
  figures.push({ id: '5', name: `cold start with 100k past incidents (${last.name}, median of ${COLD_STARTS})`, unit: 'ms', backstop: median(bigRuns), baseline: lastMedian, baselineName: 'empty DB', ratio: median(bigRuns) / lastMedian, target: '', detail: { samples: bigRuns } });
  log(`  cold start: ${modes.map((m, i) => `${m.name} ${median(runs[i]!).toFixed(0)} ms`).join('; ')}; bare node ${bareMedian.toFixed(0)} ms; 100k ${median(bigRuns).toFixed(0)} ms`);
}
