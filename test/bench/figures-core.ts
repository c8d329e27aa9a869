/**
 * Figures 1–4 on an empty database (ack under a click storm, intake against the durable floor and
 * bare node:http, alert → proposal, approval → adapter), and 1pg/2pg: figures 1 and 2 with
 * Backstop on the PostgreSQL store.
 */
import { join } from 'node:path';
import { postgresBinDir, postgresInstalled } from '../support/postgres.js';
import { newDb, startBackstop, type Context } from './context.js';
import { Host, type Target } from './hosts.js';
import { type Intake } from './loadgen.js';
import { account, accountFloor, accountPostgres, ackLatency, approvalLatency, boltApprovalLatency, intake, intakeSet, proposalLatency, relayLatency, type Accounting } from './measure.js';
import { postgresDetails } from './processes.js';
import { ALERTS_PER_PAYLOAD, CLICKS, INTAKE_CONCURRENCY, INTAKE_SECONDS, PROPOSAL_SAMPLES, WARMUP, WORK, log, wanted } from './settings.js';

const pct = (xs: number[]) => xs.map((c) => `${Math.round(c * 100)} %`).join(' / ');

/** Why a ratio between two intake runs is not reported, if it is not: a generator process was the limit. */
function clientBound(...runs: Intake[]): string | undefined {
  const bound = runs.find((r) => r.clientBound);
  return bound ? `a load generator was at ${pct(bound.generatorCpu)} CPU` : undefined;
}

function pushIntake(ctx: Context, id: string, store: string, r: { backstop: Intake; floor?: Intake; bare: Intake }, acc: Accounting): void {
  const name = `alert intake (${ALERTS_PER_PAYLOAD}/payload, ${INTAKE_CONCURRENCY} in flight${store})`;
  const gen = `generators ${pct(r.backstop.generatorCpu)} CPU`;
  const detail = { backstop: r.backstop, floor: r.floor, bare: r.bare };
  if (r.floor) {
    ctx.figures.push({
      id, name: `${name} vs the durable floor`, unit: 'alerts/s', backstop: r.backstop.alertsPerSecond, baseline: r.floor.alertsPerSecond, baselineName: 'durable floor: parse, insert per alert, chained audit row, one transaction',
      ratio: r.backstop.alertsPerSecond / r.floor.alertsPerSecond, refused: clientBound(r.backstop, r.floor), target: '≥ 2,000/s and ratio ≥ 0.5', check: (b, ratio) => b >= 2000 && ratio >= 0.5, detail,
    });
    ctx.figures.push({
      id, name: 'durable floor vs bare node:http (how far the floor is from parsing alone)', unit: 'alerts/s', backstop: r.floor.alertsPerSecond, baseline: r.bare.alertsPerSecond, baselineName: 'bare node:http',
      ratio: r.floor.alertsPerSecond / r.bare.alertsPerSecond, refused: clientBound(r.floor, r.bare), target: '',
    });
  }
  ctx.figures.push({
    id, name: `${name} vs bare node:http`, unit: 'alerts/s', backstop: r.backstop.alertsPerSecond, baseline: r.bare.alertsPerSecond, baselineName: 'bare node:http',
    ratio: r.backstop.alertsPerSecond / r.bare.alertsPerSecond, refused: clientBound(r.backstop, r.bare), target: '',
  });
  ctx.figures.push({ id, name: `alerts accounted for (rows${store ? ' in PostgreSQL' : ''} / sent)`, unit: 'alerts', backstop: acc.rows, baseline: acc.sent, baselineName: 'sent', ratio: acc.rows / acc.sent, target: 'all, each reported new once', check: () => acc.ok, detail: { ...acc } });
  log(`  intake${store}: ${Math.round(r.backstop.alertsPerSecond)} alerts/s (${gen}); floor ${r.floor ? Math.round(r.floor.alertsPerSecond) : '—'}; bare ${Math.round(r.bare.alertsPerSecond)} (generators ${pct(r.bare.generatorCpu)}); accounted ${acc.rows}/${acc.sent}`);
}

export async function coreFigures(ctx: Context): Promise<void> {
  if (!['1', '2', '3', '4'].some(wanted)) return;
  const { ws, bolt, bare, figures, policies } = ctx;
  log('figures 1–4: Backstop on an empty database…');
  const main = newDb(ctx, 'empty', 0);
  const backstop = await startBackstop(ctx, 'backstop-empty', main.file, policies.main);
  await backstop.checkClock();
  const samples = Array.from({ length: WARMUP + PROPOSAL_SAMPLES }, (_, k) => k);

  if (wanted('3') || wanted('4')) {
    const fig3 = await proposalLatency(backstop, ws, samples);
    const relay = await relayLatency(bare, ws, samples);
    const f = fig3.latency;
    ctx.empty.proposal = f;
    figures.push({ id: '3', name: 'alert → proposal posted, p50 (static SLIs, pacing off)', unit: 'ms', backstop: f.p50, baseline: relay.p50, baselineName: 'bare http + WebClient post', ratio: f.p50 / relay.p50, target: '' });
    figures.push({ id: '3', name: 'alert → proposal posted, p99 (static SLIs, pacing off)', unit: 'ms', backstop: f.p99, baseline: relay.p99, baselineName: 'bare http + WebClient post', ratio: f.p99 / relay.p99, target: '< 1,000 ms', check: (b) => b < 1000, detail: { backstop: f, baseline: relay } });
    log(`  alert → proposal: p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms`);
    if (wanted('4')) {
      const fig4 = await approvalLatency(backstop, ws, fig3.messages);
      const boltExec = await boltApprovalLatency(bolt, ws, fig3.messages.get(0)!, PROPOSAL_SAMPLES);
      figures.push({ id: '4', name: 'approval → adapter execute, p50', unit: 'ms', backstop: fig4.p50, baseline: boltExec.p50, baselineName: 'bare Bolt listener', ratio: fig4.p50 / boltExec.p50, target: '' });
      figures.push({ id: '4', name: 'approval → adapter execute, p99', unit: 'ms', backstop: fig4.p99, baseline: boltExec.p99, baselineName: 'bare Bolt listener', ratio: fig4.p99 / boltExec.p99, target: '< 100 ms', check: (b) => b < 100, detail: { backstop: fig4, baseline: boltExec } });
      log(`  approval → execute: p50 ${fig4.p50.toFixed(1)} ms, p99 ${fig4.p99.toFixed(1)} ms`);
    }
  }

  if (wanted('1')) await ackFigure(ctx, backstop, '1', '');

  if (wanted('2')) {
    const floorDb = join(WORK, `floor-r${ctx.rep}.db`);
    const floor = await Host.start(`floor-r${ctx.rep}`, { kind: 'durable', dbFile: floorDb });
    const r = await intakeSet(ctx.gen, backstop, floor, bare, INTAKE_SECONDS);
    await backstop.settle();
    await floor.stop();
    const floorAcc = accountFloor(floorDb, [r.floorWarmup, r.floor]);
    if (!floorAcc.ok) ctx.notes.push(`repetition ${ctx.rep + 1}: the durable floor lost alerts (${floorAcc.rows} rows of ${floorAcc.sent})`);
    ctx.empty.alertsPerSecond = r.backstop.alertsPerSecond;
    pushIntake(ctx, '2', '', r, account(main.file, [r.warmup, r.backstop]));
  }
  ctx.details[`emptyDbStats-r${ctx.rep}`] = await backstop.stats();
  await backstop.stop();
}

/** Rounds of 50 concurrent clicks on fresh proposals, Backstop and bare Bolt alternating. */
async function ackFigure(ctx: Context, backstop: Host, id: string, store: string): Promise<void> {
  const ackProposals = (await proposalLatency(backstop, ctx.ws, ctx.policies.ackServices, 0)).messages;
  const r = await ackLatency(backstop, ctx.bolt, ctx.ws, ackProposals);
  ctx.figures.push({ id, name: `ack, ${CLICKS} concurrent clicks, p50${store}`, unit: 'ms', backstop: r.backstop.p50, baseline: r.bolt.p50, baselineName: 'bare Bolt', ratio: r.backstop.p50 / r.bolt.p50, target: '' });
  ctx.figures.push({ id, name: `ack, ${CLICKS} concurrent clicks, p99${store}`, unit: 'ms', backstop: r.backstop.p99, baseline: r.bolt.p99, baselineName: 'bare Bolt', ratio: r.backstop.p99 / r.bolt.p99, target: 'ratio ≤ 1.5', check: (_b, ratio) => ratio <= 1.5, detail: { backstop: r.backstop, baseline: r.bolt } });
  log(`  ack${store}: Backstop p99 ${r.backstop.p99.toFixed(1)} ms, bare Bolt p99 ${r.bolt.p99.toFixed(1)} ms`);
}

export async function postgresFigures(ctx: Context): Promise<void> {
  if (!wanted('1pg') && !wanted('2pg')) return;
  if (!postgresInstalled()) {
    const why = `PostgreSQL is not installed (no postgres and initdb in ${postgresBinDir() ?? '/usr/lib/postgresql/<major>/bin or `pg_config --bindir`'}; Debian: apt-get install postgresql, or set BACKSTOP_PG_BIN)`;
    if (ctx.rep === 0) ctx.notes.push(`figures 1pg and 2pg (Backstop on PostgreSQL) skipped: ${why}`);
    log(`figures 1pg, 2pg skipped: ${why}`);
    return;
  }
  log('figures 1pg, 2pg: Backstop on the PostgreSQL store…');
  const pgHost = await Host.start(`postgres-r${ctx.rep}`, { kind: 'postgres' });
  try {
    ctx.details.postgres = await postgresDetails(pgHost);
    /** Backstop with its shared state in a fresh schema; its SQLite file keeps only the replica's own things (the embedded registry). */
    const onPostgres = async (label: string) => {
      const { schema, url } = (await pgHost.call('schema')) as { schema: string; url: string };
      const own = newDb(ctx, label, 0);
      const host = await startBackstop(ctx, label, own.file, ctx.policies.main, { env: { BACKSTOP_DATABASE_URL: url } });
      return { host, schema };
    };
    if (wanted('1pg')) {
      const { host } = await onPostgres('backstop-pg-ack');
      await ackFigure(ctx, host, '1pg', ', on PostgreSQL');
      await host.stop();
    }
    if (wanted('2pg')) {
      const { host, schema } = await onPostgres('backstop-pg-intake');
      const warmup = await intake(ctx.gen, host, '/alerts/alertmanager', 1);
      const run = await intake(ctx.gen, host, '/alerts/alertmanager', INTAKE_SECONDS);
      const bareRun = await intake(ctx.gen, ctx.bare as Target, '/', INTAKE_SECONDS);
      await host.settle();
      pushIntake(ctx, '2pg', ', on PostgreSQL', { backstop: run, bare: bareRun }, await accountPostgres(pgHost, schema, [warmup, run]));
      const sqlite = ctx.empty.alertsPerSecond;
      if (sqlite !== undefined) ctx.figures.push({ id: '2pg', name: 'alert intake on PostgreSQL vs on SQLite', unit: 'alerts/s', backstop: run.alertsPerSecond, baseline: sqlite, baselineName: 'figure 2, same repetition', ratio: run.alertsPerSecond / sqlite, target: '' });
      await host.stop();
    }
  } finally {
    await pgHost.stop();
  }
}
