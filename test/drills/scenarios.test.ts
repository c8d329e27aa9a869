/**
 * Every shipped scenario, headless through the real bot (Bolt over loopback HTTP, the Slack
 * emulator, SQLite, the outbox) at a hundredth of real time, with its outcome asserted from what
 * the bot stored, not only from the drill's own report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { listScenarios, SHIPPED_SCENARIO_DIR } from '../../src/drills/catalog.js';
import { runDrill, type DrillRun } from '../../src/drills/run-drill.js';
import { loadScenarioFile, parseScenario, type Scenario } from '../../src/drills/scenario.js';
import { DrillReportRepo } from '../../src/drills/report-store.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { openDb, type Db } from '../../src/store/db.js';

const FAST = 0.01;

function shipped(name: string): Scenario {
  const r = loadScenarioFile(join(SHIPPED_SCENARIO_DIR, `${name}.yaml`));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length) cleanup.pop()!();
});

async function drill(name: string): Promise<{ run: DrillRun; db: Db; scenario: Scenario }> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-drill-test-'));
  const db = openDb(join(dir, 'drill.db'));
  cleanup.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const scenario = shipped(name);
  const run = await runDrill({ scenario, timeScale: FAST, timeoutMs: 10_000, workDir: dir, db });
  return { run, db, scenario };
}

function registryRollbacks(db: Db, model: string): number {
  return db.prepare("SELECT count(*) FROM registry_history WHERE model = ? AND kind = 'rollback'").pluck().get(model) as number;
}

function alias(db: Db, model: string): string | null {
  const a = new LocalRegistry(db, systemClock).alias(model, 'production');
  return a.ok ? a.value.version : null;
}

function proposalState(db: Db, id: string | null): string | undefined {
  return db.prepare('SELECT state FROM proposals WHERE id = ?').pluck().get(id) as string | undefined;
}

describe('shipped drill scenarios through the real bot', () => {
  it('ships the five required scenarios, each valid and with its runbook', () => {
    const names = listScenarios([SHIPPED_SCENARIO_DIR]).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['model-accuracy-drop', 'latency-spike', 'error-rate-burst', 'metrics-outage', 'adapter-failure-retry']));
    for (const name of names) {
      const s = shipped(name);
      expect(existsSync(join(SHIPPED_SCENARIO_DIR, `${s.name}.md`)), `${name}.md`).toBe(true);
    }
  });

  it('model accuracy drop: two approvers, rolled back once to the good version and verified', async () => {
    const { run, db } = await drill('model-accuracy-drop');
    expect(run.report).toMatchObject({ outcome: 'verified', passed: true, retries: 0, sliBefore: 'breach', sliAfter: 'ok' });
    expect(proposalState(db, run.report.proposalId)).toBe('verified');
    expect(registryRollbacks(db, 'drill-fraud-scorer')).toBe(1);
    expect(alias(db, 'drill-fraud-scorer')).toBe('v41');
    const approvals = JSON.parse(db.prepare('SELECT approvals FROM proposals WHERE id = ?').pluck().get(run.report.proposalId) as string) as { user: string }[];
    expect(approvals.map((a) => a.user).sort()).toEqual(['U0DRILLALICE', 'U0DRILLBOB']);
    // Every timing of the path was measured from the audit trail.
    for (const [k, v] of Object.entries(run.report.timings)) expect(v, k).not.toBeNull();
    expect(run.transcript).toContain('Rollback proposal: drill-fraud-scorer');
    expect(run.transcript).toContain('Verified: drill-fraud-scorer on v41');
  });

  it('latency spike: the proposal reaches Slack despite two 429s and a slow approver, and recovery is verified', async () => {
    const { run, db } = await drill('latency-spike');
    expect(run.report).toMatchObject({ outcome: 'verified', passed: true });
    expect(run.report.faults).toEqual([
      expect.objectContaining({ kind: 'slack-429', observed: 2 }),
      expect.objectContaining({ kind: 'approver-slow', observed: 1 }),
    ]);
    expect(registryRollbacks(db, 'drill-ranker')).toBe(1);
    expect(alias(db, 'drill-ranker')).toBe('r1');
    // Nothing was lost to the rate limit: every queued Slack message went out.
    expect(db.prepare('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck().get()).toBe(0);
    expect(run.transcript).toContain('Approved by @carol');
  });

  it('error-rate burst: the first attempt times out, the retry rolls back once and recovery is verified', async () => {
    const { run, db } = await drill('error-rate-burst');
    expect(run.report).toMatchObject({ outcome: 'verified', passed: true, attempts: 2, retries: 1 });
    expect(registryRollbacks(db, 'drill-payments-api')).toBe(1);
    expect(alias(db, 'drill-payments-api')).toBe('2024.06.1');
  });

  it('metrics outage: ends inconclusive, the adapter is never called, nothing is rolled back', async () => {
    const { run, db } = await drill('metrics-outage');
    expect(run.report).toMatchObject({ outcome: 'inconclusive', passed: true, sliBefore: 'inconclusive', attempts: null });
    expect(run.report.checks).toContainEqual(expect.objectContaining({ name: 'no rollback', ok: true }));
    expect(proposalState(db, run.report.proposalId)).toBe('rejected');
    expect(registryRollbacks(db, 'drill-fraud-scorer')).toBe(0);
    expect(alias(db, 'drill-fraud-scorer')).toBe('v42');
    expect(db.prepare('SELECT count(*) FROM executions').pluck().get()).toBe(0);
    expect(run.transcript).toContain('⚠️ error');
    // The reason is in the table's notes, not only the word.
    expect(run.transcript).toMatch(/accuracy: could not measure: /);
  });

  it('adapter failure: two failed attempts, recovered on the third, rolled back exactly once', async () => {
    const { run, db } = await drill('adapter-failure-retry');
    expect(run.report).toMatchObject({ outcome: 'verified', passed: true, attempts: 3, retries: 2 });
    expect(run.report.faults).toEqual([expect.objectContaining({ kind: 'adapter-fail', observed: 2 })]);
    expect(db.prepare('SELECT attempts FROM executions WHERE proposal_id = ?').pluck().get(run.report.proposalId)).toBe(3);
    expect(registryRollbacks(db, 'drill-fraud-scorer')).toBe(1);
  });

  it('marks everything it leaves behind as a drill and stores its report', async () => {
    const { run, db } = await drill('model-accuracy-drop');
    const services = db.prepare('SELECT DISTINCT service FROM incidents UNION SELECT DISTINCT service FROM proposals').pluck().all();
    expect(services).toEqual(['drill-fraud-scorer']);
    const ids = db.prepare('SELECT DISTINCT coalesce(incident_id, proposal_id) FROM audit').pluck().all() as string[];
    expect(ids.every((id) => id.includes('-drill-'))).toBe(true);
    expect(db.prepare('SELECT name FROM alerts').pluck().all()).toEqual(['DRILL: ModelAccuracyDrop']);
    expect(db.prepare('SELECT title FROM incidents').pluck().get()).toMatch(/^DRILL: /);
    expect(db.prepare("SELECT count(*) FROM incidents WHERE status = 'open'").pluck().get()).toBe(0);
    expect(run.report.postmortemPath).toBeTruthy();
    expect(readFileSync(run.report.postmortemPath!, 'utf8')).toContain('drill-fraud-scorer — DRILL:');
    expect(new DrillReportRepo(db).get(run.report.id)).toEqual(run.report);
    // Ephemeral answers to the approvers say DRILL too.
    const ephemerals = run.transcript.split('Only visible to one person:')[1]?.split('\n').filter((l) => l.startsWith('  → ')) ?? [];
    expect(ephemerals.length).toBeGreaterThan(0);
    for (const line of ephemerals) expect(line).toContain('DRILL');
  });

  it('serves the sandbox console for person approvers; unanswered, the proposal expires and nothing is rolled back', async () => {
    const parsed = parseScenario(`
name: nobody-answers
title: Nobody answers
service: ranker
versions: { good: r1, bad: r2 }
alert: { name: NdcgDrop, summary: ranker ndcg low }
slis: [{ name: ndcg, comparator: lt, threshold: 0.6, baseline: 0.7, breach: { value: 0.5 }, recovery: { value: 0.7 } }]
approvers: [{ id: U0PERSON, name: pat }]
proposalTtl: 100s
expect: { outcome: expired }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const dir = mkdtempSync(join(tmpdir(), 'backstop-drill-test-'));
    const db = openDb(join(dir, 'drill.db'));
    cleanup.push(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    let consolePage: Promise<Response> | undefined;
    const run = await runDrill({
      scenario: parsed.scenario, timeScale: FAST, timeoutMs: 10_000, workDir: dir, db, console: true,
      onStarted: ({ consoleUrl }) => {
        consolePage = fetch(consoleUrl!);
      },
    });
    expect((await consolePage!).status).toBe(200);
    expect(run.report).toMatchObject({ outcome: 'expired', passed: true, attempts: null });
    expect(proposalState(db, run.report.proposalId)).toBe('expired');
    expect(registryRollbacks(db, 'drill-ranker')).toBe(0);
    expect(run.transcript).toContain('Proposal expired');
  });
});
