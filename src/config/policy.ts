import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { argoRolloutsAdapterSchema, gitopsAdapterSchema, kserveAdapterSchema, kubernetesAdapterSchema, mlflowAdapterSchema } from './adapter-schemas.js';
import { drillsConfigSchema } from '../drills/config.js';
import { durationSchema } from './duration.js';
import { needsSamples, type Judge } from '../domain/judge.js';
import { matchIndexOf } from './match-index.js';

/**
 * The policy file (`backstop.yaml`): which alerts belong to which service, how to roll
 * each service back, which SLIs judge it and who may approve. Parsed once at start-up.
 */

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID looks like "U0123ABCD"');
const slackGroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user-group ID looks like "S0123ABCD"');

/** Judges as written in the policy; `relative` may still say `factor` (normalised below). */
const judgeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('absolute') }).strict(),
  z.object({
    kind: z.literal('relative'),
    /** Breach when more than this fraction worse than the pre-deploy baseline (and past the threshold). */
    maxDegradation: z.number().gt(0, 'a fraction above 0, e.g. 0.05 for "more than 5 % worse than the baseline"').optional(),
    /** Older spelling for higher-is-worse SLIs: breach when current > factor × baseline (maxDegradation = factor − 1). */
    factor: z.number().gt(1, 'a factor above 1, e.g. 2 for "twice the baseline"').optional(),
  }).strict(),
  z.object({ kind: z.literal('mann-whitney'), confidence: z.number().gt(0.5).lt(1).default(0.98), minSamples: z.number().int().min(5).default(20) }).strict(),
  z.object({
    kind: z.literal('sequential'),
    /** Bound on the chance of a false rollback over the whole bake window, however often it is checked. */
    alpha: z.number().gt(0).max(0.2, 'at most 0.2; 0.05 is usual').default(0.05),
    /** Post-deploy samples before the first verdict; 3 keeps the warm-up under the default inconclusiveLimit. */
    minSamples: z.number().int().min(1).max(1000).default(3),
    /** Pre-deploy samples needed to estimate the noise. */
    minBaselineSamples: z.number().int().min(10).max(10_000).default(30),
    /** The shift the test is most sensitive to, in baseline standard deviations. */
    tau: z.number().gt(0).max(100).default(1),
  }).strict(),
]);

type JudgeInput = z.output<typeof judgeSchema>;

/** `factor` only means something when higher is worse; `maxDegradation` means the same in both directions. */
function checkRelativeJudge(sli: { comparator: string; judge: JudgeInput }, ctx: z.RefinementCtx): void {
  const j = sli.judge;
  if (j.kind !== 'relative') return;
  const lowerIsWorse = sli.comparator === 'lt' || sli.comparator === 'lte';
  if (j.factor !== undefined && j.maxDegradation !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['judge'], message: 'give `maxDegradation` or `factor`, not both' });
  } else if (j.factor !== undefined && lowerIsWorse) {
    ctx.addIssue({ code: 'custom', path: ['judge', 'factor'], message: `\`factor\` means "current > factor × baseline" and only fits a higher-is-worse SLI; this one is ${sli.comparator} (lower is worse). Use \`maxDegradation\`, the fraction below the baseline that breaches, e.g. \`maxDegradation: 0.05\` for "more than 5 % below the pre-deploy baseline"` });
  } else if (j.factor === undefined && j.maxDegradation === undefined) {
    ctx.addIssue({ code: 'custom', path: ['judge', 'maxDegradation'], message: 'give `maxDegradation`, the fraction worse than the pre-deploy baseline that breaches, e.g. 0.05 for "more than 5 % worse"' });
  } else if (j.maxDegradation !== undefined && j.maxDegradation >= 1 && lowerIsWorse) {
    ctx.addIssue({ code: 'custom', path: ['judge', 'maxDegradation'], message: 'a lower-is-worse SLI cannot fall by 100 % or more of its baseline; use a fraction below 1, e.g. 0.05' });
  }
}

function normaliseJudge(j: JudgeInput): Judge {
  return j.kind === 'relative' ? { kind: 'relative', maxDegradation: j.maxDegradation ?? j.factor! - 1 } : j;
}

export const sliSchema = z.object({
  name: z.string().min(1),
  source: z.enum(['static', 'prometheus']),
  query: z.string().min(1).optional(),
  values: z.record(z.string(), z.number()).optional(),
  comparator: z.enum(['lt', 'lte', 'gt', 'gte']),
  threshold: z.number(),
  unit: z.string().optional(),
  /** How every measurement of this SLI is judged (default: against the threshold). */
  judge: judgeSchema.default({ kind: 'absolute' }),
}).strict().superRefine((sli, ctx) => {
  checkRelativeJudge(sli, ctx);
  if (sli.source === 'prometheus' && !sli.query) {
    ctx.addIssue({ code: 'custom', path: ['query'], message: 'a prometheus SLI needs a PromQL `query`' });
  }
  if (sli.source === 'static' && (!sli.values || Object.keys(sli.values).length === 0)) {
    ctx.addIssue({ code: 'custom', path: ['values'], message: 'a static SLI needs `values` (baseline/current, or one value per version)' });
  }
}).transform(({ judge, ...sli }) => ({ ...sli, judge: normaliseJudge(judge) }));

const localRegistryAdapter = z.object({
  kind: z.literal('local-registry'),
  model: z.string().min(1),
  alias: z.string().min(1).default('production'),
}).strict();

const httpWebhookAdapter = z.object({
  kind: z.literal('http-webhook'),
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
  /** Name of the env var holding the HMAC secret: secrets never live in the policy file. */
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable, e.g. ROLLBACK_WEBHOOK_SECRET'),
  timeout: durationSchema.default(10_000),
  /** Optional URL answering GET with {current, lastGood, deployedAt}. */
  versionsUrl: z.url({ protocol: /^https?$/ }).optional(),
}).strict();

export const adapterSchema = z.discriminatedUnion('kind', [
  localRegistryAdapter,
  httpWebhookAdapter,
  mlflowAdapterSchema,
  kubernetesAdapterSchema,
  argoRolloutsAdapterSchema,
  kserveAdapterSchema,
  gitopsAdapterSchema,
]);

const pagerDutyId = z.string().regex(/^P[A-Z0-9]{5,}$/, 'a PagerDuty ID such as "PABC123"');

export const approversSchema = z.object({
  users: z.array(slackUserId).default([]),
  groups: z.array(slackGroupId).default([]),
  /** Whoever is on call now for these PagerDuty schedules or escalation policies (matched by e-mail). */
  pagerduty: z.object({
    schedules: z.array(pagerDutyId).default([]),
    escalationPolicies: z.array(pagerDutyId).default([]),
  }).strict().optional(),
}).strict().refine((a) => a.users.length + a.groups.length + (a.pagerduty?.schedules.length ?? 0) + (a.pagerduty?.escalationPolicies.length ?? 0) > 0, { message: 'name at least one approver (users, groups or pagerduty)' });

const freezeWindow = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  reason: z.string().min(1),
}).strict().refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: '`from` must be before `to`', path: ['to'] });

/** Continuous analysis and what Backstop may do on its own. Absent: alerts and commands only. */
export const decisionSchema = z.object({
  /** propose: humans approve; automatic: announce, wait `grace` for a Stop, then roll back as `policy`. */
  mode: z.enum(['propose', 'automatic']).default('propose'),
  /** Alert severities that may roll back automatically (analysis triggers always may, in automatic mode). */
  automaticSeverities: z.array(z.string()).default(['critical']),
  grace: durationSchema.default(120_000),
  interval: durationSchema.default(60_000),
  /** How long after a deploy every SLI is watched. */
  bakeWindow: durationSchema.default(30 * 60_000),
  failureLimit: z.number().int().min(1).max(100).default(3),
  /** Consecutive measurements without data that tell people "cannot see, will not act". */
  inconclusiveLimit: z.number().int().min(1).max(100).default(3),
  /** Consecutive provider errors (the metrics backend failing) that do the same; counted apart from no data. */
  consecutiveErrorLimit: z.number().int().min(1).max(100).default(4),
  /** Where blindness is announced when the service has no incident channel and no `channel` of its own. */
  escalationChannel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel ID such as "C0123ABCD"').optional(),
  cooldown: durationSchema.default(30 * 60_000),
  maxAutomaticPerDay: z.number().int().min(0).max(100).default(2),
  pingPongWindow: durationSchema.default(24 * 3_600_000),
  freeze: z.array(freezeWindow).default([]),
}).strict();

/** Placeholders a dashboard link may use: filled when the incident header is rendered. */
export const DASHBOARD_PLACEHOLDERS = ['service', 'from', 'to'] as const;

/** A URL template such as `https://grafana.example/d/abc?var-service={service}&from={from}&to={to}`. */
const dashboardSchema = z.string().superRefine((t, ctx) => {
  const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((p) => !(DASHBOARD_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')}; use {service}, {from} and {to} (epoch milliseconds)` });
  const filled = t.replace(/\{[^}]*\}/g, 'x');
  if (!/^https?:\/\/[^\s/]+/.test(filled) || !URL.canParse(filled)) ctx.addIssue({ code: 'custom', message: 'an http(s) URL template, e.g. "https://grafana.example/d/abc?var-service={service}&from={from}&to={to}"' });
});

/** How often an open incident gets a status update; at least a minute, so a typo cannot flood the channel. */
const statusUpdateSchema = durationSchema.refine((ms) => ms >= 60_000, 'at least 1m, e.g. "30m"');

export const serviceSchema = z.object({
  /** Alert labels that must all match, e.g. `{service: fraud-scorer}`. */
  match: z.record(z.string(), z.string()).refine((m) => Object.keys(m).length > 0, 'give at least one label to match'),
  channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel ID such as "C0123ABCD"; leave it out to create inc-YYYYMMDD-<service>').optional(),
  critical: z.boolean().default(false),
  requiredApprovals: z.number().int().min(1).max(10).optional(),
  approvers: approversSchema,
  /** The rollback target. */
  adapter: adapterSchema.optional(),
  /** Instead of `adapter`: several targets that roll back together, in this order (coordinated rollback). */
  adapters: z.array(adapterSchema).min(2, 'a coordinated rollback lists at least two targets').optional(),
  slis: z.array(sliSchema).min(1, 'give at least one SLI'),
  runbook: z.string().min(1).optional(),
  settle: durationSchema.optional(),
  proposalTtl: durationSchema.optional(),
  /** Used for the SLI baseline when the adapter does not know the deploy time. */
  baselineOffset: durationSchema.optional(),
  readBackTimeout: durationSchema.optional(),
  readBackInterval: durationSchema.optional(),
  decision: decisionSchema.optional(),
  /** Link shown in the incident header (`{service}`, `{from}`, `{to}` are filled in). */
  dashboard: dashboardSchema.optional(),
  /** A status update in the incident every this often while it is open (default: none). */
  statusUpdate: statusUpdateSchema.optional(),
  /**
   * Staged rollback where the target can split traffic: percentages sent to the good version,
   * with SLIs re-checked after each (e.g. [50, 100]). The last stage must be 100.
   */
  stages: z.array(z.number().int().min(1).max(100)).min(1).refine((s) => s[s.length - 1] === 100, 'the last stage must be 100').refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]!), 'stages must increase').optional(),
}).strict().superRefine((svc, ctx) => {
  if (!svc.adapter === !svc.adapters) {
    ctx.addIssue({ code: 'custom', path: ['adapter'], message: 'give exactly one of `adapter` (one target) or `adapters` (a coordinated list)' });
  }
});

const serviceName = z.string().regex(/^[a-z0-9][a-z0-9-_]{0,59}$/, 'lowercase letters, digits, "-" and "_", at most 60 characters');

export const policySchema = z.object({
  defaults: z.object({
    requiredApprovals: z.number().int().min(1).max(10).default(1),
    settle: durationSchema.default(30_000),
    proposalTtl: durationSchema.default(30 * 60_000),
    baselineOffset: durationSchema.default(60 * 60_000),
    /** Attempts at a retryable adapter failure (timeouts, 5xx) before the proposal is marked failed. */
    executeAttempts: z.number().int().min(1).max(10).default(3),
    /** First wait between attempts; doubles each time. */
    executeBackoff: durationSchema.default(2_000),
    /** After execution, how long the target may take to report the approved version (a rollout takes time). */
    readBackTimeout: durationSchema.default(120_000),
    /** How often the target is read back meanwhile. */
    readBackInterval: durationSchema.default(5_000),
    /** Status updates for every service that does not set its own (default: none). */
    statusUpdate: statusUpdateSchema.optional(),
  }).strict().default({ requiredApprovals: 1, settle: 30_000, proposalTtl: 1_800_000, baselineOffset: 3_600_000, executeAttempts: 3, executeBackoff: 2_000, readBackTimeout: 120_000, readBackInterval: 5_000 }),
  /** Where postmortem drafts are written. */
  postmortemDir: z.string().default('postmortems'),
  /** Scheduled game-day drills (runbooks/drills/*.yaml). */
  drills: drillsConfigSchema.optional(),
  /** Slack users who may break glass: execute without the full quorum, with a written reason. */
  admins: z.array(slackUserId).default([]),
  /** The Prometheus that `source: prometheus` SLIs query. */
  prometheus: z.object({
    url: z.url({ protocol: /^https?$/, error: 'the Prometheus base URL, e.g. http://prometheus:9090' }),
    timeout: durationSchema.default(10_000),
  }).strict().optional(),
  pagerduty: z.object({
    /** Resolve the PagerDuty incident once a rollback is verified. */
    resolveAfterVerified: z.boolean().default(false),
  }).strict().default({ resolveAfterVerified: false }),
  /** Base URL runbook paths are linked under (e.g. your repo's blob URL). */
  runbookBaseUrl: z.url().optional(),
  services: z.record(serviceName, serviceSchema).refine((s) => Object.keys(s).length > 0, 'configure at least one service'),
}).strict();

export type Policy = z.output<typeof policySchema>;
export type ServicePolicy = z.output<typeof serviceSchema>;
export type AdapterConfig = z.output<typeof adapterSchema>;
export type DecisionPolicy = z.output<typeof decisionSchema>;

/** A service's policy with defaults applied. */
export interface ResolvedService extends ServicePolicy {
  name: string;
  requiredApprovals: number;
  settle: number;
  proposalTtl: number;
  baselineOffset: number;
  readBackTimeout: number;
  readBackInterval: number;
  statusUpdate?: number;
}

export function resolveService(policy: Policy, name: string): ResolvedService | undefined {
  const svc = policy.services[name];
  if (!svc) return undefined;
  const d = policy.defaults;
  // Critical services always need two distinct people, whatever the number says.
  const required = Math.max(svc.requiredApprovals ?? d.requiredApprovals, svc.critical ? 2 : 1);
  return {
    ...svc,
    name,
    requiredApprovals: required,
    settle: svc.settle ?? d.settle,
    proposalTtl: svc.proposalTtl ?? d.proposalTtl,
    baselineOffset: svc.baselineOffset ?? d.baselineOffset,
    readBackTimeout: svc.readBackTimeout ?? d.readBackTimeout,
    readBackInterval: svc.readBackInterval ?? d.readBackInterval,
    statusUpdate: svc.statusUpdate ?? d.statusUpdate,
  };
}

export interface ConfigProblem {
  path: string;
  message: string;
}

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; problems: ConfigProblem[] };

export function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((p) => String(p)).join('.');
}

export function parsePolicy(text: string): PolicyResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const e = err as YAMLParseError;
    const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    return { ok: false, problems: [{ path: '(yaml)', message: `${e.message.split('\n')[0]}${where}` }] };
  }
  const parsed = policySchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
  }
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(parsed.data.services)) {
    if (name.startsWith('drill-')) problems.push({ path: `services.${name}`, message: 'the `drill-` prefix is reserved for game-day drills; rename the service' });
  }
  for (const [name, svc] of Object.entries(parsed.data.services)) {
    svc.slis.forEach((sli, i) => {
      if (sli.source === 'prometheus' && !parsed.data.prometheus) problems.push({ path: `services.${name}.slis.${i}.source`, message: 'uses prometheus, but the policy has no top-level `prometheus: {url: …}`' });
      // Distribution judges compare windows of samples; a source without history has none to give.
      if (sli.source === 'static' && needsSamples(sli.judge)) problems.push({ path: `services.${name}.slis.${i}.judge`, message: `a ${sli.judge.kind} judge compares pre- and post-deploy samples, and a static source keeps no history; use a prometheus source, or an absolute or relative judge` });
    });
  }
  // Two services claiming the same alerts would make ownership ambiguous.
  const seen = new Map<string, string>();
  for (const [name, svc] of Object.entries(parsed.data.services)) {
    const key = JSON.stringify(Object.entries(svc.match).sort());
    const other = seen.get(key);
    if (other) problems.push({ path: `services.${name}.match`, message: `same matchers as service "${other}": an alert must belong to one service` });
    seen.set(key, name);
  }
  if (problems.length) return { ok: false, problems };
  matchIndexOf(parsed.data.services);
  return { ok: true, policy: parsed.data };
}

export function loadPolicyFile(file: string): PolicyResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] };
  }
  return parsePolicy(text);
}

/**
 * The service an alert belongs to: every matcher label must equal the alert's label (the first
 * such service in policy order). Looked up in an index built at policy load (match-index.ts), so
 * the cost follows the alert's labels, not the number of services.
 */
export function matchService(policy: Policy, labels: Record<string, string>): string | undefined {
  return matchIndexOf(policy.services).find(labels);
}
