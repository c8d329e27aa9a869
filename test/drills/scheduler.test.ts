/**
 * The drill scheduler with its cron trigger and clock injected: ticks are fired by hand, the
 * announcement lead is a promise the test releases, and the drill itself is a stub, so nothing
 * waits for real minutes.
 */
import { describe, expect, it } from 'vitest';
import type { DrillReport } from '../../src/drills/report.js';
import { parseScenario, type Scenario, type ScenarioResult } from '../../src/drills/scenario.js';
import { drillSchedulerDefaults } from '../../src/drills/drill-wiring.js';
import { drillsConfigSchema, startDrillScheduler, type CronSchedule, type DrillsConfig } from '../../src/drills/scheduler.js';
import { openDb } from '../../src/store/db.js';
import { createLogger } from '../../src/log/logger.js';
import type { ChatMessage } from '../../src/ports/chat.js';
import type { Clock } from '../../src/ports/clock.js';

function scenario(name: string, service: string): Scenario {
  const r = parseScenario(`
name: ${name}
title: ${name} drill
service: ${service}
alert: { name: Test, summary: test }
slis: [{ name: accuracy, comparator: lt, threshold: 0.8, baseline: 0.9, breach: { value: 0.5 }, recovery: { value: 0.9 } }]
approvers: [{ id: U0ALICE, name: alice, simulated: {} }]
expect: { outcome: verified }
`);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const SCENARIOS: Record<string, Scenario> = { 'accuracy-drop': scenario('accuracy-drop', 'fraud-scorer'), 'latency': scenario('latency', 'ranker') };

function report(s: Scenario): DrillReport {
  return {
    id: `report-${s.name}`, scenario: s.name, title: s.title, service: s.service, drillService: `drill-${s.service}`,
    startedAt: '2025-03-01T12:00:00.000Z', finishedAt: '2025-03-01T12:00:01.000Z', outcome: 'verified', expected: 'verified', passed: true,
    proposalId: null, incidentId: null, proposalState: 'verified', sliBefore: 'breach', sliAfter: 'ok',
    timings: { detectionToProposalMs: 5, proposalToPostedMs: 5, proposalToApprovalMs: 5, approvalToExecutedMs: 5, executedToVerifiedMs: 5, timeToSafetyMs: 20 },
    attempts: 1, retries: 0, faults: [], checks: [], auditRows: 10, postmortemPath: null,
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface Harness {
  ticks: { expression: string; tick: () => Promise<unknown>; options: { timezone: string; noOverlap: boolean; name: string } }[];
  posts: ChatMessage[];
  runs: string[];
  openIncidents: Map<string, string>;
  /** Each pending announcement lead; resolve one to let its drill start. */
  leads: { ms: number; release: () => void }[];
  /** Each running drill; resolve one to finish it. */
  finish: Map<string, () => void>;
  stopped: number;
  scheduler: ReturnType<typeof startDrillScheduler>;
}

function harness(configInput: unknown, opts: { holdRuns?: boolean } = {}): Harness {
  const h = { ticks: [], posts: [], runs: [], openIncidents: new Map(), leads: [], finish: new Map(), stopped: 0 } as unknown as Harness;
  const cron: CronSchedule = (expression, tick, options) => {
    h.ticks.push({ expression, tick, options });
    return { stop: () => void h.stopped++ };
  };
  const clock: Clock = {
    now: () => new Date('2025-03-01T12:00:00Z'),
    sleep: (ms) => new Promise<void>((resolve) => h.leads.push({ ms, release: resolve })),
    at: () => () => undefined,
  };
  const config: DrillsConfig = drillsConfigSchema.parse(configInput);
  h.scheduler = startDrillScheduler({
    config, cron, clock, log: createLogger({ level: 'silent' }),
    chat: { post: async (m) => { h.posts.push(m); return { channel: m.channel, ts: String(h.posts.length) }; } },
    incidents: { openFor: async (service) => (h.openIncidents.has(service) ? { id: h.openIncidents.get(service)! } : undefined) },
    loadScenario: (ref): ScenarioResult => (SCENARIOS[ref] ? { ok: true, scenario: SCENARIOS[ref] } : { ok: false, problems: [{ path: '(scenario)', message: `no scenario "${ref}"` }] }),
    run: async (s) => {
      h.runs.push(s.name);
      if (opts.holdRuns) {
        const d = deferred<void>();
        h.finish.set(s.name, () => d.resolve());
        await d.promise;
      }
      return report(s);
    },
  });
  return h;
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error('condition not reached');
};

const CONFIG = {
  channel: 'C0DRILLS', timezone: 'Europe/Berlin', announceLead: '10m',
  schedules: [{ scenario: 'accuracy-drop', cron: '0 14 * * 3' }, { scenario: 'latency', cron: '30 9 * * 1-5', timezone: 'America/New_York' }],
};

describe('drill scheduler', () => {
  it('schedules each drill with node-cron options: its cron, its timezone, noOverlap', () => {
    const h = harness(CONFIG);
    expect(h.ticks.map((t) => [t.expression, t.options])).toEqual([
      ['0 14 * * 3', { timezone: 'Europe/Berlin', noOverlap: true, name: 'drill:accuracy-drop' }],
      ['30 9 * * 1-5', { timezone: 'America/New_York', noOverlap: true, name: 'drill:latency' }],
    ]);
  });

  it('announces the drill in the drills channel, waits the lead, then runs it and posts the result', async () => {
    const h = harness(CONFIG);
    const done = h.ticks[0]!.tick();
    await until(() => h.leads.length === 1);
    expect(h.posts).toHaveLength(1);
    expect(h.posts[0]).toMatchObject({ channel: 'C0DRILLS', text: expect.stringContaining('starts in 10m 0s') });
    expect(h.posts[0]!.text).toContain('DRILL');
    expect(h.leads[0]!.ms).toBe(600_000);
    expect(h.runs).toEqual([]);
    h.leads[0]!.release();
    expect(await done).toMatchObject({ status: 'ran', report: { scenario: 'accuracy-drop' } });
    expect(h.runs).toEqual(['accuracy-drop']);
    expect(h.posts[1]!.text).toMatch(/DRILL result: `accuracy-drop` passed/);
  });

  it('never overlaps: a tick while a drill is announced or running is skipped, and the next one after it runs', async () => {
    const h = harness(CONFIG, { holdRuns: true });
    const first = h.ticks[0]!.tick();
    await until(() => h.leads.length === 1);
    // During the announcement lead.
    expect(await h.ticks[1]!.tick()).toMatchObject({ status: 'skipped', reason: 'overlap' });
    expect(await h.scheduler.trigger('accuracy-drop', 'U0ALICE')).toMatchObject({ status: 'skipped', reason: 'overlap' });
    h.leads[0]!.release();
    await until(() => h.runs.length === 1);
    // While the drill itself runs.
    expect(h.scheduler.busy()).toBe(true);
    expect(await h.ticks[0]!.tick()).toMatchObject({ status: 'skipped', reason: 'overlap' });
    expect(h.runs).toEqual(['accuracy-drop']);
    h.finish.get('accuracy-drop')!();
    expect(await first).toMatchObject({ status: 'ran' });
    expect(h.scheduler.busy()).toBe(false);

    const next = h.ticks[1]!.tick();
    await until(() => h.leads.length === 2);
    h.leads[1]!.release();
    await until(() => h.finish.has('latency'));
    h.finish.get('latency')!();
    expect(await next).toMatchObject({ status: 'ran' });
    expect(h.runs).toEqual(['accuracy-drop', 'latency']);
  });

  it('skips a drill while a real incident is open for its service, and says so', async () => {
    const h = harness(CONFIG);
    h.openIncidents.set('fraud-scorer', 'inc-real-1');
    expect(await h.ticks[0]!.tick()).toMatchObject({ status: 'skipped', reason: 'incident_open' });
    expect(h.runs).toEqual([]);
    expect(h.leads).toEqual([]);
    expect(h.posts.map((p) => p.text)).toEqual([expect.stringContaining('real incident (inc-real-1) is open for fraud-scorer')]);
    // Another service's drill is not held up.
    const other = h.ticks[1]!.tick();
    await until(() => h.leads.length === 1);
    h.leads[0]!.release();
    expect(await other).toMatchObject({ status: 'ran' });
  });

  it('cancels an announced drill when an incident opens for its service during the lead', async () => {
    const h = harness(CONFIG);
    const tick = h.ticks[0]!.tick();
    await until(() => h.leads.length === 1);
    h.openIncidents.set('fraud-scorer', 'inc-real-2');
    h.leads[0]!.release();
    expect(await tick).toMatchObject({ status: 'skipped', reason: 'incident_open' });
    expect(h.runs).toEqual([]);
    expect(h.posts.at(-1)!.text).toContain('DRILL cancelled');
    expect(h.scheduler.busy()).toBe(false);
  });

  it('stops every cron task', async () => {
    const h = harness(CONFIG);
    await h.scheduler.stop();
    expect(h.stopped).toBe(2);
  });

  it('names the field of a bad drills config', () => {
    const r = drillsConfigSchema.safeParse({ channel: 'drills', timezone: 'Mars/Olympus', schedules: [{ scenario: 'x', cron: '61 * * * *' }] });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error.issues.map((i) => i.path.join('.'))).toEqual(['channel', 'timezone', 'schedules.0.cron']);
  });

  it('loads scheduled scenarios by name from the shipped runbooks/drills in production wiring', () => {
    const db = openDb(':memory:');
    const config = drillsConfigSchema.parse({ channel: 'C0DRILLS', schedules: [{ scenario: 'metrics-outage', cron: '0 14 * * 3' }] });
    const { loadScenario } = drillSchedulerDefaults({ config, reportDb: db, cwd: '/nonexistent' });
    expect(loadScenario('metrics-outage')).toMatchObject({ ok: true, scenario: { name: 'metrics-outage', expect: { outcome: 'inconclusive' } } });
    expect(loadScenario('no-such-drill')).toMatchObject({ ok: false, problems: [{ path: '(scenario)' }] });
    db.close();
  });
});
