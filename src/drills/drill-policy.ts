/**
 * The policy a drill's bot runs with: one service, `drill-<service>`, rolled back through a
 * local registry in the drill's own database. It names no real target, channel or secret, so a
 * drill cannot touch production whatever the scenario says.
 */
import { policySchema, type Policy } from '../config/policy.js';
import { drillServiceName, type Scenario } from './scenario.js';

export const DRILL_CHANNEL_ID = 'C0DRILL';
/** Label every drill alert carries, besides `service: drill-<service>`. */
export const DRILL_LABEL = 'drill';

export function drillChannelName(s: Scenario): string {
  return `drill-${s.service}`.slice(0, 80);
}

export interface DrillPolicyOptions {
  postmortemDir: string;
  /** Multiplies every wait the bot makes (settle, backoff, proposal expiry). */
  timeScale: number;
  runbookBaseUrl?: string;
}

export function scaled(ms: number, timeScale: number): number {
  return Math.max(0, Math.round(ms * timeScale));
}

export function buildDrillPolicy(s: Scenario, opts: DrillPolicyOptions): Policy {
  const name = drillServiceName(s);
  const { good, bad } = s.versions;
  return policySchema.parse({
    defaults: {
      requiredApprovals: 1,
      settle: scaled(s.settle, opts.timeScale),
      proposalTtl: Math.max(1_000, scaled(s.proposalTtl, opts.timeScale)),
      baselineOffset: 3_600_000,
      executeAttempts: s.executeAttempts,
      executeBackoff: scaled(s.executeBackoff, opts.timeScale),
    },
    postmortemDir: opts.postmortemDir,
    ...(opts.runbookBaseUrl ? { runbookBaseUrl: opts.runbookBaseUrl } : {}),
    services: {
      [name]: {
        match: { service: name, [DRILL_LABEL]: 'true' },
        channel: DRILL_CHANNEL_ID,
        critical: s.critical,
        approvers: { users: s.approvers.map((a) => a.id) },
        adapter: { kind: 'local-registry', model: name, alias: 'production' },
        // Static per-version values mirror the synthetic series, so the policy alone tells the story.
        slis: s.slis.map((x) => ({
          name: x.name, source: 'static', comparator: x.comparator, threshold: x.threshold,
          ...(x.unit ? { unit: x.unit } : {}),
          values: { [bad]: x.breach.value, [good]: x.recovery?.value ?? x.breach.value },
        })),
        runbook: s.runbook ?? `runbooks/drills/${s.name}.md`,
      },
    },
  });
}
