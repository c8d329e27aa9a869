/**
 * Scheduled game-day drills (node-cron 4). Each schedule names a scenario, a cron expression
 * and a timezone. A tick announces the drill in the drills channel, waits `announceLead`, and
 * runs it; a drill never overlaps another (node-cron's `noOverlap`, and a guard of our own that
 * also covers manual runs), and is skipped while a real incident is open for its service (checked
 * at the tick and again just before the start).
 *
 * The lead wires it in the bot's start-up; `/backstop drill <scenario>` can call `trigger`.
 */
import cron from 'node-cron';
import type { Logger } from '../log/logger.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { DrillsConfig } from './config.js';
import { formatMs, type DrillReport } from './report.js';
import type { Scenario, ScenarioResult } from './scenario.js';

export { drillsConfigSchema, type DrillsConfig } from './config.js';

/** The part of node-cron the scheduler uses; tests pass a fake that fires ticks by hand. */
export interface CronTask {
  stop(): void | Promise<void>;
}
export type CronSchedule = (expression: string, tick: () => Promise<unknown>, options: { timezone: string; noOverlap: boolean; name: string }) => CronTask;

export const nodeCronSchedule: CronSchedule = (expression, tick, options) => cron.schedule(expression, tick, options);

export type DrillTick =
  | { status: 'ran'; report: DrillReport }
  | { status: 'skipped'; reason: 'overlap' | 'incident_open' | 'invalid_scenario' | 'announce_failed'; message: string }
  | { status: 'error'; message: string };

export interface DrillSchedulerOptions {
  config: DrillsConfig;
  /** The real bot's incidents: a drill of a service waits for none of its incidents to be open. */
  incidents: { openFor(service: string): Promise<{ id: string } | undefined> };
  chat: Pick<Chat, 'post'>;
  clock: Clock;
  log: Logger;
  loadScenario(ref: string): ScenarioResult;
  run(scenario: Scenario): Promise<DrillReport>;
  cron?: CronSchedule;
}

export interface DrillScheduler {
  /** Names of the scheduled scenarios, with their cron and timezone. */
  readonly schedules: readonly { scenario: string; cron: string; timezone: string }[];
  /** Runs a scenario now through the same gates as a tick (overlap, open incident, announcement). */
  trigger(scenario: string, requestedBy?: string): Promise<DrillTick>;
  /** True while a drill is announced or running. */
  busy(): boolean;
  stop(): Promise<void>;
}

export function startDrillScheduler(opts: DrillSchedulerOptions): DrillScheduler {
  const { config, chat, clock } = opts;
  const log = opts.log.child({ component: 'drills' });
  const schedule = opts.cron ?? nodeCronSchedule;
  let running: string | null = null;

  const say = async (text: string): Promise<boolean> => {
    try {
      await chat.post({ channel: config.channel, text });
      return true;
    } catch (err) {
      log.warn({ err }, 'could not post to the drills channel');
      return false;
    }
  };

  async function trigger(ref: string, requestedBy = 'schedule'): Promise<DrillTick> {
    if (running) {
      const message = `Drill ${ref} not started: drill ${running} is still running (drills never overlap).`;
      log.warn({ scenario: ref, running }, 'drill skipped: another drill is running');
      return { status: 'skipped', reason: 'overlap', message };
    }
    const loaded = opts.loadScenario(ref);
    if (!loaded.ok) {
      const message = `Drill ${ref} not started: ${loaded.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
      log.error({ scenario: ref, problems: loaded.problems }, 'drill scenario invalid');
      await say(`🧪 DRILL: ${message}`);
      return { status: 'skipped', reason: 'invalid_scenario', message };
    }
    const s = loaded.scenario;
    running = s.name;
    try {
      const open = await opts.incidents.openFor(s.service);
      if (open) return await skipForIncident(s, open.id, 'skipped');
      const announced = await say(`🧪 DRILL: game-day drill *${s.title}* (\`${s.name}\`) for ${s.service} starts in ${formatMs(config.announceLead)} (requested by ${requestedBy}). It runs as drill-${s.service} against the Slack emulator and a local registry; production is not touched.`);
      if (!announced) return { status: 'skipped', reason: 'announce_failed', message: `Drill ${s.name} not started: the announcement could not be posted.` };
      await clock.sleep(config.announceLead);
      const openNow = await opts.incidents.openFor(s.service);
      if (openNow) return await skipForIncident(s, openNow.id, 'cancelled');
      log.info({ scenario: s.name, requestedBy }, 'drill starting');
      const report = await opts.run(s);
      log.info({ scenario: s.name, passed: report.passed, outcome: report.outcome }, 'drill finished');
      await say(`🧪 DRILL result: \`${s.name}\` ${report.passed ? 'passed ✅' : 'FAILED ❌'}: outcome ${report.outcome} (expected ${report.expected}), time to safety ${formatMs(report.timings.timeToSafetyMs)}, ${report.retries ?? 0} retr${report.retries === 1 ? 'y' : 'ies'}.${report.passed ? '' : ` Failed checks: ${report.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join('; ')}.`}`);
      return { status: 'ran', report };
    } catch (err) {
      log.error({ err, scenario: s.name }, 'drill crashed');
      await say(`🧪 DRILL: \`${s.name}\` crashed: ${err instanceof Error ? err.message : String(err)}`);
      return { status: 'error', message: err instanceof Error ? err.message : String(err) };
    } finally {
      running = null;
    }
  }

  async function skipForIncident(s: Scenario, incidentId: string, verb: 'skipped' | 'cancelled'): Promise<DrillTick> {
    const message = `Drill ${s.name} ${verb}: a real incident (${incidentId}) is open for ${s.service}.`;
    log.info({ scenario: s.name, incidentId }, `drill ${verb}: incident open`);
    await say(`🧪 DRILL ${verb}: \`${s.name}\` will not run while a real incident (${incidentId}) is open for ${s.service}.`);
    return { status: 'skipped', reason: 'incident_open', message };
  }

  const schedules = config.schedules.map((x) => ({ scenario: x.scenario, cron: x.cron, timezone: x.timezone ?? config.timezone }));
  const tasks = schedules.map((x) => schedule(x.cron, () => trigger(x.scenario), { timezone: x.timezone, noOverlap: true, name: `drill:${x.scenario}` }));
  log.info({ schedules }, 'drills scheduled');

  return {
    schedules,
    trigger,
    busy: () => running !== null,
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
    },
  };
}
