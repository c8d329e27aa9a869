import type { Logger } from '../log/logger.js';
import type { Db } from '../store/db.js';
import { loadScenario, scenarioDirs } from './catalog.js';
import type { DrillsConfig } from './config.js';
import { DrillReportRepo } from './report-store.js';
import { runDrill } from './run-drill.js';
import type { DrillSchedulerOptions } from './scheduler.js';

export type DrillWiring = (opts: { config: DrillsConfig; reportDb: Db; logger?: Logger; cwd?: string }) => Pick<DrillSchedulerOptions, 'loadScenario' | 'run'>;

/**
 * The production wiring of `loadScenario` and `run`: scenarios from the configured folder and the
 * shipped ones, each drill in its own temporary database and bot, reports into the bot's database.
 * Handed to `startBackstop` by its callers, since a drill starts a bot of its own.
 */
export const drillSchedulerDefaults: DrillWiring = (opts) => {
  const dirs = scenarioDirs(opts.cwd ?? process.cwd(), opts.config.scenarioDir ? [opts.config.scenarioDir] : []);
  const reports = new DrillReportRepo(opts.reportDb);
  return {
    loadScenario: (ref) => loadScenario(ref, dirs),
    run: async (scenario) => (await runDrill({ scenario, reports, logger: opts.logger })).report,
  };
};
