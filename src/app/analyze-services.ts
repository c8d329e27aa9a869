import type { ResolvedService } from '../config/policy.js';
import { becameBlind, evaluateSeries, type SeriesVerdict } from '../domain/analysis.js';
import type { Incident } from '../domain/incident.js';
import { fillFromDeploys } from '../domain/deploy-history.js';
import type { Deps } from './deps.js';
import { measureSlis } from './measure-slis.js';
import { proposeRollback } from './propose-rollback.js';
import { recordStep } from './record-step.js';

/**
 * One analysis pass of one service (its scheduler runs it every `decision.interval`): measured while
 * a new version bakes, and while an incident is open. A breach streak proposes (or, where allowed,
 * starts an automatic rollback); an inconclusive streak tells people "cannot see, will not act".
 */
export async function analyzeService(deps: Deps, svc: ResolvedService): Promise<SeriesVerdict[] | undefined> {
  const d = svc.decision!;
  const now = deps.clock.now();
  const reported = await deps.adapter(svc.name).versions();
  const versions = fillFromDeploys(reported, await deps.store.deploys.recent(svc.name), new Set());
  const incident = await deps.store.incidents.openFor(svc.name);
  const baking = versions.deployedAt !== null && now.getTime() - versions.deployedAt.getTime() <= d.bakeWindow;
  if (!baking && !incident) return undefined;

  // The series starts at the deploy (or the incident), so older history cannot trigger.
  const since = new Date(Math.max(versions.deployedAt?.getTime() ?? 0, incident ? Date.parse(incident.openedAt) : 0, now.getTime() - 24 * 3_600_000)).toISOString();
  const baselineAt = versions.deployedAt ? new Date(versions.deployedAt.getTime() - 60_000) : new Date(now.getTime() - svc.baselineOffset);
  const verdicts: { sli: string; verdict: SeriesVerdict }[] = [];
  const limits = { failureLimit: d.failureLimit, inconclusiveLimit: d.inconclusiveLimit, consecutiveErrorLimit: d.consecutiveErrorLimit };
  // The same measurement and judge as proposals and verification use; samples at the service's own interval.
  const readings = await measureSlis(deps, svc, { baselineAt, currentVersion: versions.current, baselineVersion: versions.lastGood, currentSince: versions.deployedAt }, Math.max(1, Math.round(d.interval / 1000)));
  const blind: { sli: string; reason: string }[] = [];
  for (const r of readings) {
    await deps.store.measurements.add({
      service: svc.name, sli: r.name, at: now.toISOString(), verdict: r.verdict, value: r.current, baseline: r.baseline, reason: r.reason, collecting: r.collecting,
    });
    const series = await deps.store.measurements.since(svc.name, r.name, since);
    const v = evaluateSeries(series, limits);
    verdicts.push({ sli: r.name, verdict: v });
    // Escalate once per streak: exactly when it reaches the limit.
    if (v.phase === 'blind' && becameBlind(series, limits)) blind.push({ sli: r.name, reason: v.reason });
  }
  if (blind.length > 0) await escalateBlind(deps, svc, incident, blind);

  const degraded = verdicts.filter((v) => v.verdict.phase === 'degraded');
  if (degraded.length > 0) {
    const reason = degraded.map((v) => `${v.sli}: ${v.verdict.reason}`).join('; ');
    await triggerRollback(deps, svc, incident, reason);
  }
  return verdicts.map((v) => v.verdict);
}

/**
 * "Cannot see, will not act" must reach people, not only the audit trail: the incident channel if
 * there is one, else the service's channel, else the policy's `decision.escalationChannel`.
 */
async function escalateBlind(deps: Deps, svc: ResolvedService, incident: Incident | undefined, blind: { sli: string; reason: string }[]): Promise<void> {
  const live = await deps.store.proposals.liveFor(svc.name);
  const channelId = incident?.channelId ?? svc.channel ?? svc.decision?.escalationChannel ?? null;
  if (!channelId) deps.log.error({ service: svc.name, blind }, 'analysis is blind and no channel is configured to say so (set the service channel or decision.escalationChannel)');
  else deps.log.warn({ service: svc.name, blind, channelId }, 'analysis is blind');
  await deps.store.tx((r) => recordStep(deps, r, {
    incidentId: incident?.id ?? null, proposalId: live?.id ?? null, actor: 'policy',
    fact: { action: 'analysis.blind', service: svc.name, slis: blind, notify: svc.approvers },
    channelId: live ? undefined : (channelId ?? undefined),
  }));
  deps.kickOutbox();
}

/** A degraded streak: join the live proposal, or open (or join) the incident and propose. */
async function triggerRollback(deps: Deps, svc: ResolvedService, incident: Incident | undefined, reason: string): Promise<void> {
  const live = await deps.store.proposals.liveFor(svc.name);
  if (live) {
    await deps.store.tx((r) => r.audit.append({ at: deps.clock.now().toISOString(), incidentId: live.incidentId, proposalId: live.id, actor: 'policy', action: 'trigger.absorbed', details: { reason } }));
    return;
  }
  const opened = incident ?? await deps.store.tx(async (r) => {
    const existing = await r.incidents.openFor(svc.name);
    if (existing) return existing;
    const now = deps.clock.now().toISOString();
    const created: Incident = { id: deps.ids.next('inc'), service: svc.name, status: 'open', title: `SLI degradation: ${reason}`.slice(0, 300), severity: null, channelId: null, openedAt: now, resolvedAt: null, resolvedBy: null, postmortemPath: null };
    await r.incidents.insert(created);
    await recordStep(deps, r, { incidentId: created.id, proposalId: null, actor: 'policy', fact: { action: 'incident.opened', incidentId: created.id, service: svc.name, title: reason, by: { kind: 'analysis' } } });
    return created;
  });
  await proposeRollback(deps, opened.id, { requestedBy: 'policy', reason, trigger: 'analysis' });
}
