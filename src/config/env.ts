import { z } from 'zod';
import { CHECKPOINTS } from '../ports/checkpoint.js';
import { durationSchema } from './duration.js';
import { formatPath, type ConfigProblem } from './policy.js';

/** Environment variables, validated once at start-up; nothing else reads process.env. */
export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'a bot token starts with "xoxb-" (OAuth & Permissions page of your Slack app)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'the signing secret from Basic Information → App Credentials').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'an app-level token starts with "xapp-" (needed only for Socket Mode)').optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'the Web API base URL, e.g. https://slack.com/api/' }).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Listen address; unset: every interface for the real bot, loopback only for the sandbox. */
  HOST: z.string().optional(),
  BACKSTOP_DB: z.string().default('backstop.db'),
  /** PostgreSQL for the shared state of several replicas; unset: the SQLite file BACKSTOP_DB. */
  BACKSTOP_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a PostgreSQL URL such as postgres://backstop:…@db:5432/backstop').optional(),
  /** How long a replica's lease on timed work holds without renewal (several replicas only). */
  BACKSTOP_LEASE_TTL: durationSchema.default(15_000),
  BACKSTOP_CONFIG: z.string().optional(),
  /** Seals the audit trail; never stored in the database. */
  BACKSTOP_AUDIT_KEY: z.string().min(32, 'the audit key must be at least 32 characters: make one with `openssl rand -hex 32`').optional(),
  /** Anchor file for the audit chain's head (default: `<BACKSTOP_DB>.audit-head`). */
  BACKSTOP_AUDIT_HEAD: z.string().optional(),
  ALERTMANAGER_TOKEN: z.string().min(16, 'use at least 16 random characters').optional(),
  /** `none` opens Alertmanager intake to anyone who can reach it; only on purpose. */
  ALERTMANAGER_AUTH: z.enum(['token', 'none'], { error: '"token" (the default: ALERTMANAGER_TOKEN required) or "none"' }).default('token'),
  PAGERDUTY_TOKEN: z.string().min(8, 'a PagerDuty REST API key').optional(),
  PAGERDUTY_FROM: z.email('the e-mail of a PagerDuty user: notes are written as them').optional(),
  PAGERDUTY_WEBHOOK_SECRET: z.string().min(8, 'the signing secret of the PagerDuty webhook subscription').optional(),
  GENERIC_WEBHOOK_SECRET: z.string().min(16, 'use at least 16 random characters').optional(),
  DEPLOY_TOKEN: z.string().min(16, 'use at least 16 random characters').optional(),
  /** Sandbox only: `1` runs the bot in Socket Mode against the emulator's WebSocket server (the console's clicks go over the socket). */
  BACKSTOP_SANDBOX_SOCKET: z.enum(['0', '1'], { error: '"1" (Socket Mode) or "0" (HTTP, the default)' }).optional(),
  /** Test-only: the crash-recovery suite kills the process at this checkpoint. */
  BACKSTOP_TEST_KILL_AT: z.enum(CHECKPOINTS).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine((env, ctx) => {
  if (env.PAGERDUTY_TOKEN && !env.PAGERDUTY_FROM) {
    ctx.addIssue({ code: 'custom', path: ['PAGERDUTY_FROM'], message: 'required with PAGERDUTY_TOKEN: PagerDuty needs a From e-mail for notes' });
  }
  if (env.ALERTMANAGER_AUTH === 'none' && env.ALERTMANAGER_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['ALERTMANAGER_AUTH'], message: '"none" turns off the check of ALERTMANAGER_TOKEN, which is also set: unset one of them' });
  }
  if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'required with SLACK_BOT_TOKEN in HTTP mode, so forged requests are refused' });
  }
  if (env.SLACK_BOT_TOKEN && !env.BACKSTOP_AUDIT_KEY) {
    ctx.addIssue({ code: 'custom', path: ['BACKSTOP_AUDIT_KEY'], message: 'required with SLACK_BOT_TOKEN: it seals the audit trail so it cannot be rewritten; make one with `openssl rand -hex 32` and keep it outside the database (a secret store)' });
  }
});

export type Env = z.output<typeof envSchema>;

export type EnvResult = { ok: true; env: Env } | { ok: false; problems: ConfigProblem[] };

export function parseEnv(raw: Record<string, string | undefined>): EnvResult {
  // Empty strings mean "unset", as in most shells' `VAR=` lines.
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const r = envSchema.safeParse(cleaned);
  if (r.success) return { ok: true, env: r.data };
  return { ok: false, problems: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}
