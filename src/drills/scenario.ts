/**
 * Game-day drill scenarios (`runbooks/drills/*.yaml`): which service to rehearse, the synthetic
 * SLI series the drill's metrics source plays back, who approves, which faults to inject and what
 * the drill must show. One zod schema, parsed at the boundary into a tagged result whose problems
 * name the field (`faults.0.attempts: …`), as `backstop config check` does for the policy.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { durationSchema } from '../config/duration.js';
import { formatPath, type ConfigProblem } from '../config/policy.js';

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID looks like "U0123ABCD"');
const scenarioName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'lowercase letters, digits and "-", at most 50 characters');
// The drill runs as `drill-<service>`, which must still be a valid policy service name (≤ 60).
const serviceName = z.string().regex(/^[a-z0-9][a-z0-9-_]{0,53}$/, 'the real service name: lowercase letters, digits, "-" and "_", at most 54 characters');
const version = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a version such as "v41"');

/** How the SLI moved away from its baseline before the alert fired (the drill synthesises that history). */
const breachSchema = z.object({
  /** step: jumps to `value`; ramp: slides there over `over`; spike: overshoots, then settles at `value`. */
  shape: z.enum(['step', 'ramp', 'spike']).default('step'),
  value: z.number(),
  /** How long before the alert the breach began. */
  over: durationSchema.default(600_000),
}).strict();

/** What the SLI does once the good version serves again. Leave it out to rehearse a rollback that does not help. */
const recoverySchema = z.object({
  value: z.number(),
  /** Time the SLI takes to get there after the rollback; verification after `settle` sees where it is then. */
  over: durationSchema.default(0),
}).strict();

const sliSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a metric-like name such as "accuracy" or "p99_latency_ms"'),
  comparator: z.enum(['lt', 'lte', 'gt', 'gte']),
  threshold: z.number(),
  unit: z.string().max(16).optional(),
  baseline: z.number(),
  breach: breachSchema,
  recovery: recoverySchema.optional(),
}).strict();

const simulationSchema = z.object({
  /** Time from the proposal appearing in Slack to this approver's click. */
  after: durationSchema.default(2_000),
  /**
   * auto: approve when the proposal's SLIs show a breach, reject otherwise (what a careful person
   * does when the numbers are missing); approve / reject: always; ignore: never click.
   */
  decision: z.enum(['auto', 'approve', 'reject', 'ignore']).default('auto'),
}).strict();

const approverSchema = z.object({
  id: slackUserId,
  name: z.string().regex(/^[a-z][a-z0-9._-]{0,20}$/, 'a Slack handle such as "alice"'),
  /** Present: a simulated approver clicks on its own. Absent: a real person clicks (sandbox console, `--console`). */
  simulated: simulationSchema.optional(),
}).strict();

const faultSchema = z.discriminatedUnion('kind', [
  /** The adapter's first `attempts` executions fail with a retryable error (a 503 from the target). */
  z.object({ kind: z.literal('adapter-fail'), attempts: z.number().int().min(1).max(9), message: z.string().min(1).default('target answered 503 Service Unavailable') }).strict(),
  /** The adapter's first `attempts` executions hang for `after`, then time out (retryable). */
  z.object({ kind: z.literal('adapter-timeout'), attempts: z.number().int().min(1).max(9), after: durationSchema.default(5_000) }).strict(),
  /** The SLI source cannot be reached: every measurement is an error, during the proposal, the verification, or both. */
  z.object({ kind: z.literal('sli-down'), during: z.enum(['always', 'proposal', 'verification']).default('always') }).strict(),
  /** Slack answers `method` with 429 Too Many Requests `times` times, asking to wait `retryAfter`. */
  z.object({ kind: z.literal('slack-429'), method: z.string().regex(/^[a-z]+\.[a-zA-Z.]+$/, 'a Web API method such as chat.postMessage').default('chat.postMessage'), times: z.number().int().min(1).max(20).default(1), retryAfter: durationSchema.default(1_000) }).strict(),
  /** An approver takes `by` longer than planned to click. */
  z.object({ kind: z.literal('approver-slow'), approver: slackUserId, by: durationSchema }).strict(),
]);

export const DRILL_OUTCOMES = ['verified', 'not_recovered', 'inconclusive', 'failed', 'rejected', 'expired', 'no_proposal', 'timed_out'] as const;
export type DrillOutcome = (typeof DRILL_OUTCOMES)[number];

const targetsSchema = z.object({
  detectionToProposal: durationSchema.optional(),
  proposalToApproval: durationSchema.optional(),
  approvalToExecuted: durationSchema.optional(),
  executedToVerified: durationSchema.optional(),
  timeToSafety: durationSchema.optional(),
}).strict();

export const scenarioSchema = z.object({
  name: scenarioName,
  title: z.string().min(1).max(120),
  description: z.string().optional(),
  /** The real service rehearsed; the drill runs it as `drill-<service>` against a local registry. */
  service: serviceName,
  critical: z.boolean().default(false),
  versions: z.object({ good: version.default('good'), bad: version.default('bad') }).strict()
    .refine((v) => v.good !== v.bad, { message: 'the good and the bad version must differ', path: ['bad'] })
    .default({ good: 'good', bad: 'bad' }),
  alert: z.object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an alertname such as ModelAccuracyDrop'),
    severity: z.string().min(1).default('critical'),
    summary: z.string().min(1),
  }).strict(),
  slis: z.array(sliSchema).min(1, 'give at least one SLI'),
  approvers: z.array(approverSchema).min(1, 'name at least one approver'),
  faults: z.array(faultSchema).default([]),
  settle: durationSchema.default(5_000),
  proposalTtl: durationSchema.default(10 * 60_000),
  executeAttempts: z.number().int().min(1).max(10).default(3),
  executeBackoff: durationSchema.default(1_000),
  /** The drill gives up (outcome timed_out) after this long. */
  timeout: durationSchema.default(5 * 60_000),
  runbook: z.string().min(1).optional(),
  expect: z.object({
    outcome: z.enum(DRILL_OUTCOMES),
    /** Exact number of failed execution attempts before the outcome. */
    retries: z.number().int().min(0).max(9).optional(),
    targets: targetsSchema.default({}),
  }).strict(),
}).strict().superRefine((s, ctx) => {
  const ids = s.approvers.map((a) => a.id);
  s.approvers.forEach((a, i) => {
    if (ids.indexOf(a.id) !== i) ctx.addIssue({ code: 'custom', path: ['approvers', i, 'id'], message: `${a.id} is listed twice` });
  });
  if (s.critical && new Set(ids).size < 2) {
    ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'a critical service needs two distinct approvers' });
  }
  const names = s.slis.map((x) => x.name);
  s.slis.forEach((x, i) => {
    if (names.indexOf(x.name) !== i) ctx.addIssue({ code: 'custom', path: ['slis', i, 'name'], message: `SLI "${x.name}" is listed twice` });
  });
  let failing = 0;
  s.faults.forEach((f, i) => {
    if (f.kind === 'approver-slow' && !ids.includes(f.approver)) {
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'approver'], message: `${f.approver} is not one of this scenario's approvers` });
    }
    if (f.kind === 'adapter-fail' || f.kind === 'adapter-timeout') {
      failing += f.attempts;
      if (failing >= s.executeAttempts && s.expect.outcome === 'verified') {
        ctx.addIssue({ code: 'custom', path: ['faults', i, 'attempts'], message: `${failing} failing attempt(s) with executeAttempts ${s.executeAttempts} never succeed; raise executeAttempts or expect outcome "failed"` });
      }
    }
  });
  if (s.expect.outcome === 'verified') {
    s.slis.forEach((x, i) => {
      if (!x.recovery) ctx.addIssue({ code: 'custom', path: ['slis', i, 'recovery'], message: 'expect.outcome is "verified", so say what the SLI recovers to' });
    });
  }
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioSli = Scenario['slis'][number];
export type ScenarioFault = Scenario['faults'][number];
export type ScenarioApprover = Scenario['approvers'][number];

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; problems: ConfigProblem[] };

export function parseScenario(text: string): ScenarioResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const where = err.linePos?.[0] ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
    return { ok: false, problems: [{ path: '(yaml)', message: `${err.message.split('\n')[0]}${where}` }] };
  }
  const parsed = scenarioSchema.safeParse(raw ?? {});
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
  return { ok: true, scenario: parsed.data };
}

export function loadScenarioFile(file: string): ScenarioResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : String(err);
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${file}: ${code}` }] };
  }
  return parseScenario(text);
}

/** The service name the drill runs as: every message, audit row and postmortem carries it. */
export function drillServiceName(s: Pick<Scenario, 'service'>): string {
  return `drill-${s.service}`;
}
