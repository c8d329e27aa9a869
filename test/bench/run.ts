/**
 * `npm run bench`: the real bot, in its own process, against the local Slack emulator, next to
 * the baselines it is compared with in the same repetition. Prints a table (markdown, ready for
 * the README) of min / median / max over the repetitions and writes bench-results/latest.json.
 *
 *   npm run bench                         # everything, 3 repetitions
 *   npm run bench -- --reps=1             # one repetition
 *   npm run bench -- --only=2,storm       # only those figures (1, 1pg, 2, 2pg, 3, 3p, 4, 5, storm; `pg` = 1pg,2pg)
 *   npm run bench -- --quick              # smaller samples, to develop the harness
 *   npm run bench -- --generators=3       # load-generator processes for intake (default 2)
 *   npm run bench -- --profile            # also a CPU profile of every Backstop process in bench-results/profiles/
 *
 * Figures 1pg and 2pg are figures 1 and 2 with Backstop on the PostgreSQL store
 * (BACKSTOP_DATABASE_URL), against a server the runner starts (test/support/postgres.ts, in a host
 * process of its own) with a fresh schema per figure; skipped, and said so, when PostgreSQL is not
 * installed. Figure 3p needs Prometheus (/usr/bin/prometheus or BACKSTOP_PROMETHEUS_BIN).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVICE_COUNT, policyYaml } from './common.js';
import type { Context, Policies } from './context.js';
import { coreFigures, postgresFigures } from './figures-core.js';
import { growthFigures } from './figures-growth.js';
import { prometheusFigures } from './figures-prometheus.js';
import { Host, Workspace } from './hosts.js';
import { LoadGenerators } from './loadgen.js';
import { machineBusy } from './processes.js';
import { aggregate, fmt, table, type Figure } from './report.js';
import { ACK_ROUNDS, ACK_WARMUP_ROUNDS, GENERATORS, GROWTH_SAMPLES, OUT, PROPOSAL_SAMPLES, REPS, ROOT, WARMUP, WORK, log } from './settings.js';
import { stormFigures } from './storm.js';

function policies(): Policies {
  // Figures 1–4 need a service per sample; the growth runs and cold start use a policy no larger than they need.
  const ackFirst = WARMUP + PROPOSAL_SAMPLES;
  if (ackFirst + ACK_WARMUP_ROUNDS + ACK_ROUNDS > SERVICE_COUNT) throw new Error('raise SERVICE_COUNT in common.ts: the workspace has too few services for these sample counts');
  const growthServices = WARMUP + GROWTH_SAMPLES;
  const growth = policyYaml(join(WORK, 'postmortems'), growthServices);
  const growthFile = join(WORK, 'policy.yaml');
  writeFileSync(growthFile, growth);
  return {
    main: policyYaml(join(WORK, 'postmortems'), ackFirst + ACK_WARMUP_ROUNDS + ACK_ROUNDS, (i) => i >= ackFirst),
    growth, growthFile, growthServices,
    // Fresh proposals for the click storms (one per round, the warm-up rounds included); each store gets its own.
    ackServices: Array.from({ length: ACK_WARMUP_ROUNDS + ACK_ROUNDS }, (_, k) => ackFirst + k),
  };
}

async function main(): Promise<void> {
  const busyBefore = await machineBusy();
  if (busyBefore > 0.15) log(`warning: the machine is already ${(busyBefore * 100).toFixed(0)}% busy before the run; every figure will be pessimistic`);
  const began = performance.now();
  mkdirSync(OUT, { recursive: true });
  const slack = await Host.start('slack', { kind: 'slack' });
  const ws = new Workspace(slack);
  log(`starting baselines and ${GENERATORS} load-generator processes…`);
  const bolt = await Host.start('bolt', { kind: 'bolt', apiUrl: ws.url });
  const bare = await Host.start('http', { kind: 'http', apiUrl: ws.url });
  const gen = await LoadGenerators.start(GENERATORS, ROOT);
  const base = { ws, slack, bolt, bare, gen, policies: policies(), notes: [] as string[], details: {} as Record<string, unknown> };
  const reps: Figure[][] = [];
  try {
    for (let rep = 0; rep < REPS; rep++) {
      log(`— repetition ${rep + 1} of ${REPS} —`);
      const ctx: Context = { ...base, rep, figures: [], empty: {} };
      await coreFigures(ctx);
      await postgresFigures(ctx);
      await prometheusFigures(ctx);
      await stormFigures(ctx);
      await growthFigures(ctx);
      reps.push(ctx.figures);
    }
  } finally {
    gen.stop();
    await bolt.stop();
    await bare.stop();
    await slack.stop();
  }

  const order = ['1', '1pg', '2', '2pg', '3', '3p', '4', 'storm', '5'];
  const rows = aggregate(reps).sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const machine: Record<string, unknown> = { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memTotalGiB: +(totalmem() / 2 ** 30).toFixed(1), memFreeGiB: +(freemem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform} ${process.arch}` };
  const seconds = (performance.now() - began) / 1000;
  const busyAfter = await machineBusy();
  Object.assign(machine, { busyBefore: +busyBefore.toFixed(3), busyAfter: +busyAfter.toFixed(3), loadavg: loadavg().map((x) => +x.toFixed(2)) });
  const result = { date: new Date().toISOString(), seconds: +seconds.toFixed(1), reps: REPS, generators: GENERATORS, machine, figures: rows, notes: base.notes, details: base.details };
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);

  console.log(`\n${table(rows)}\n`);
  for (const note of base.notes) console.log(`note: ${note}\n`);
  const checked = rows.filter((f) => f.met !== null);
  console.log(`targets met (at the median of ${REPS} repetition${REPS > 1 ? 's' : ''}): ${checked.filter((f) => f.met).length}/${checked.length}`);
  for (const f of checked.filter((x) => !x.met)) console.log(`  missed: ${f.id} ${f.name} — ${fmt(f.backstop.median, f.unit)} ${f.unit}, target ${f.target} (ratio ${Number.isFinite(f.ratio.median) ? f.ratio.median.toFixed(2) : 'not reported'})`);
  console.log(`\n${String(machine.nproc)} × ${String(machine.cpu)}, ${String(machine.memTotalGiB)} GiB, node ${process.version}; ${REPS} repetition(s), ${GENERATORS} load generators; ${seconds.toFixed(0)} s; machine busy before/after: ${(busyBefore * 100).toFixed(0)}% / ${(busyAfter * 100).toFixed(0)}%; written to ${resolve(OUT, 'latest.json')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
