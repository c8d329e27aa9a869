/**
 * The policy's `drills:` block: where drills are announced and when each scenario runs. Kept
 * apart from the scheduler so the policy schema can include it without importing the runner.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { durationSchema } from '../config/duration.js';

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const timezone = z.string().refine(validTimezone, 'an IANA timezone such as "Europe/Berlin" or "UTC"');
const cronExpression = z.string().superRefine((expr, ctx) => {
  const v = cron.validateDetailed(expr);
  if (!v.valid) ctx.addIssue({ code: 'custom', message: `not a cron expression: ${v.errors.map((e) => e.message).join('; ')}` });
});

/** The policy's `drills:` block (the lead adds `drills: drillsConfigSchema.optional()` to the policy schema). */
export const drillsConfigSchema = z.object({
  /** Slack channel ID where drills are announced and their results posted. */
  channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel ID such as "C0123ABCD"'),
  timezone: timezone.default('UTC'),
  /** Time between the announcement and the start. */
  announceLead: durationSchema.default(15 * 60_000),
  /** Folder of scenario files, besides the shipped runbooks/drills. */
  scenarioDir: z.string().min(1).optional(),
  schedules: z.array(z.object({
    /** Scenario name (runbooks/drills/<name>.yaml) or a path to a scenario file. */
    scenario: z.string().min(1),
    /** When the announcement goes out, e.g. "0 14 * * 3" (Wednesdays 14:00). */
    cron: cronExpression,
    timezone: timezone.optional(),
  }).strict()).min(1, 'schedule at least one drill'),
}).strict();

export type DrillsConfig = z.output<typeof drillsConfigSchema>;
