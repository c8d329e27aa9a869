/**
 * Continuous analysis on each service's own schedule, loud blindness, and automatic rollbacks at
 * the end of their grace to the second, on a fake clock (no sleeping, no timing assertions).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisScheduler } from '../../src/app/analysis-scheduler.js';
import { AutoExecuteTimers } from '../../src/app/auto-execute-timers.js';
import { stopAutomatic } from '../../src/app/stop-and-break-glass.js';
import { plainText } from '../../src/domain/said.js';
import { createMetrics } from '../../src/metrics/registry.js';
import type { SliSource } from '../../src/ports/sli-source.js';
import { buildHarness, POLICY_YAML } from '../support/harness.js';

const TWO_SERVICES = `${POLICY_YAML}
  fast-scorer:
    match: { service: fast-scorer }
    channel: C0FAST
    approvers: { users: [U0ALICE] }
    adapter: { kind: local-registry, model: fraud-scorer }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.90 }, comparator: lt, threshold: 0.85 }
    decision: { interval: 1s, bakeWindow: 3h, failureLimit: 3 }
  hourly-scorer:
    match: { service: hourly-scorer }
    channel: C0HOURLY
    approvers: { users: [U0ALICE] }
    adapter: { kind: local-registry, model: fraud-scorer }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.90 }, comparator: lt, threshold: 0.85 }
    decision: { interval: 1h, bakeWindow: 3h, failureLimit: 3 }
`;

const tmp = () => mkdtempSync(join(tmpdir(), 'backstop-sched-'));
const measured = (h: ReturnType<typeof buildHarness>, service: string) => h.db.prepare('SELECT count(*) FROM measurements WHERE service = ?').pluck().get(service) as number;

async function advance(h: ReturnType<typeof buildHarness>, ms: number, step: number): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    h.clock.advance(step);
    await h.settle();
  }
}

describe('per-service analysis schedule', () => {
  it('measures each service on its own interval: the hourly one hourly only', async () => {
    const h = buildHarness({ postmortemDir: tmp(), policyYaml: TWO_SERVICES });
    const scheduler = new AnalysisScheduler(h.deps);
    scheduler.start();
    await advance(h, 10 * 60_000, 1000);
    expect(measured(h, 'fast-scorer')).toBe(600);
    expect(measured(h, 'hourly-scorer')).toBe(0);
    await advance(h, 50 * 60_000, 10_000);
    expect(measured(h, 'hourly-scorer')).toBe(1);
    await advance(h, 60 * 60_000, 60_000);
    expect(measured(h, 'hourly-scorer')).toBe(2);
    // Neither service has been rolled back: the hourly one's protection did not depend on its neighbour.
    expect(h.store.proposals.recent('hourly-scorer', 5)).toEqual([]);
    scheduler.stop();
    expect(h.clock.pending).toBe(0);
  });

  it('logs and counts a pass that overruns its interval, and starts the next one on the next whole interval', async () => {
    const h = buildHarness({ postmortemDir: tmp(), policyYaml: TWO_SERVICES });
    // A source that takes 3.5 s of clock time to answer, for a service measured every second.
    const slow: SliSource = { kind: 'static', measure: async () => { await h.clock.sleep(3_500); return { baseline: 0.91, current: 0.9 }; } };
    h.deps.sliSource = () => slow;
    const scheduler = new AnalysisScheduler(h.deps);
    const t0 = h.clock.now().getTime();
    scheduler.start();
    await advance(h, 20_000, 1000);
    const fast = scheduler.lag().find((l) => l.service === 'fast-scorer')!;
    expect(fast.skipped).toBeGreaterThan(0);
    // Passes never pile up: at most one per whole interval that a 3.5 s pass leaves free (every 4 s).
    const elapsed = h.clock.now().getTime() - t0;
    const passes = measured(h, 'fast-scorer');
    expect(passes).toBeGreaterThan(2);
    expect(passes).toBeLessThanOrEqual(Math.ceil(elapsed / 4000));
    // The lag is exported for whoever watches Backstop itself.
    const text = await createMetrics({ db: h.db, processMetrics: false, analysisLag: () => scheduler.lag() }).registry.metrics();
    expect(text).toMatch(new RegExp(`backstop_analysis_skipped_total\\{service="fast-scorer"\\} ${fast.skipped}`));
    expect(text).toContain('backstop_analysis_lag_seconds{service="hourly-scorer"}');
    scheduler.stop();
  });
});

describe('loud blindness', () => {
  it('tells the service channel, once per streak, naming the reason and who is paged, during a bake with no incident', async () => {
    const h = buildHarness({ postmortemDir: tmp(), policyYaml: POLICY_YAML.replace('    runbook:', '    decision: { interval: 1m, bakeWindow: 3h, consecutiveErrorLimit: 3 }\n    runbook:') });
    let down = true;
    const prometheus: SliSource = { kind: 'static', measure: async () => (down ? { error: 'Prometheus http://prom:9090 unreachable: connect ECONNREFUSED' } : { baseline: 0.91, current: 0.9 }) };
    h.deps.sliSource = () => prometheus;
    const scheduler = new AnalysisScheduler(h.deps);
    scheduler.start();
    await advance(h, 10 * 60_000, 60_000);
    const blind = () => h.chat.posts.filter((m) => m.channel === 'C0INCIDENT' && m.text.includes('cannot see'));
    expect(h.store.incidents.openFor('fraud-scorer')).toBeUndefined();
    expect(blind()).toHaveLength(1);
    expect(blind()[0]!.text).toContain('ECONNREFUSED');
    expect(blind()[0]!.text).toContain('3 provider errors in a row');
    expect(blind()[0]!.text).toContain('<@U0ALICE>');
    // Recovers, then goes blind again: a new streak, a new message.
    down = false;
    await advance(h, 3 * 60_000, 60_000);
    down = true;
    await advance(h, 5 * 60_000, 60_000);
    expect(blind()).toHaveLength(2);
    expect(h.store.audit.forIncident('').length).toBe(0);
    expect(h.db.prepare("SELECT count(*) FROM audit WHERE action = 'analysis.blind'").pluck().get()).toBe(2);
    scheduler.stop();
  });
});

describe('automatic rollback at the end of its grace', () => {
  const AUTOMATIC = POLICY_YAML.replace('    runbook:', '    decision: { mode: automatic, grace: 2m, failureLimit: 1, interval: 1m, bakeWindow: 3h }\n    runbook:');
  const breach: SliSource = { kind: 'static', measure: async () => ({ baseline: 0.91, current: 0.8 }) };

  async function proposeAutomatic(h: ReturnType<typeof buildHarness>) {
    h.deps.sliSource = () => breach;
    const { analyzeService } = await import('../../src/app/analyze-services.js');
    await analyzeService(h.deps, h.deps.service('fraud-scorer')!);
    await h.settle();
    return h.store.proposals.liveFor('fraud-scorer')!;
  }

  const startedAt = (h: ReturnType<typeof buildHarness>, id: string) => h.store.audit.forProposal(id).find((e) => e.action === 'proposal.auto_approved')?.at;

  it('runs at grace ± 1 s from the persisted due time, and a Stop after it is refused with the reason', async () => {
    const h = buildHarness({ postmortemDir: tmp(), policyYaml: AUTOMATIC });
    const timers = new AutoExecuteTimers(h.deps);
    h.deps.armAutoExecute = (id, at) => timers.arm(id, at);
    const p = await proposeAutomatic(h);
    expect(p.automatic).toBe(true);
    await advance(h, 119_000, 1000);
    expect(h.store.proposals.get(p.id)!.state).toBe('pending');
    h.clock.advance(1000);
    await h.settle();
    expect(h.store.proposals.get(p.id)!.state).not.toBe('pending');
    expect(Math.abs(Date.parse(startedAt(h, p.id)!) - Date.parse(p.autoExecuteAt!))).toBeLessThanOrEqual(1000);
    const late = await stopAutomatic(h.deps, p.id, 'U0ALICE');
    expect(late.ok).toBe(false);
    timers.stop();
  });

  it('refuses a Stop that arrives after the due time even before the rollback started', async () => {
    const h = buildHarness({ postmortemDir: tmp(), policyYaml: AUTOMATIC });
    const p = await proposeAutomatic(h);
    // No timer armed (as if the process were busy): the due time passes with the proposal still pending.
    h.clock.advance(121_000);
    const r = await stopAutomatic(h.deps, p.id, 'U0ALICE');
    expect(r).toMatchObject({ ok: false });
    expect(r.ok ? '' : plainText(r.message)).toContain('Too late to stop: the grace period ended at');
  });

  it('is re-armed from the store after a restart and still runs at its due time', async () => {
    const h = buildHarness({ postmortemDir: tmp(), policyYaml: AUTOMATIC });
    const before = new AutoExecuteTimers(h.deps);
    h.deps.armAutoExecute = (id, at) => before.arm(id, at);
    const p = await proposeAutomatic(h);
    await advance(h, 30_000, 1000);
    before.stop(); // the process dies 30 s into the grace period
    h.clock.advance(20_000);
    const after = new AutoExecuteTimers(h.deps); // the next process starts
    after.armPending();
    await advance(h, 69_000, 1000);
    expect(h.store.proposals.get(p.id)!.state).toBe('pending');
    await advance(h, 1000, 1000);
    expect(h.store.proposals.get(p.id)!.state).not.toBe('pending');
    expect(Math.abs(Date.parse(startedAt(h, p.id)!) - Date.parse(p.autoExecuteAt!))).toBeLessThanOrEqual(1000);
    after.stop();
  });
});
