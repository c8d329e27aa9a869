import { fillFromDeploys } from '../domain/deploy-history.js';
import { incidentChannelName } from '../domain/incident.js';
import { type Proposal } from '../domain/proposal.js';
import { ChatError } from '../ports/chat.js';
import type { Deps } from './deps.js';
import { decideOutcome } from './decide-outcome.js';
import { recordStep } from './record-step.js';
import { measureSlis } from './measure-slis.js';

export type ProposeResult =
  | { ok: true; proposal: Proposal }
  | { ok: false; code: 'unknown_incident' | 'unknown_service' | 'exists' | 'no_target' | 'target_error'; message: string; proposal?: Proposal };

/** Makes sure the incident has a channel: the service's own, or a new `inc-YYYYMMDD-<service>`. */
export async function ensureIncidentChannel(deps: Pick<Deps, 'store' | 'service' | 'chat' | 'log'>, incidentId: string, requestedBy: string): Promise<string> {
  const incident = await deps.store.incidents.get(incidentId);
  if (!incident) throw new Error(`no incident ${incidentId}`);
  if (incident.channelId) return incident.channelId;
  const svc = deps.service(incident.service);
  const members = [...new Set([...(svc?.approvers.users ?? []), ...(requestedBy === 'alert' ? [] : [requestedBy])])];
  const channelId = svc?.channel ?? (await createChannel(deps, incidentChannelName(incident.service, new Date(incident.openedAt)), members));
  await deps.store.tx((r) => r.incidents.setChannel(incidentId, channelId));
  return (await deps.store.incidents.get(incidentId))?.channelId ?? channelId;
}

async function createChannel(deps: Pick<Deps, 'chat' | 'log'>, name: string, members: string[]): Promise<string> {
  try {
    return await deps.chat.ensureChannel(name, members);
  } catch (err) {
    // The channel exists even if inviting failed: post there and say so in the log.
    const channelId = err instanceof ChatError && err.code === 'invite_failed' ? err.details.channelId : undefined;
    if (!channelId) throw err;
    deps.log.warn({ err, channel: name }, 'could not invite approvers to the incident channel');
    return channelId;
  }
}

/**
 * Builds a rollback proposal for an open incident: current → last known-good version,
 * with an SLI snapshot, and queues the interactive message.
 */
export interface ProposeRequest {
  requestedBy: string;
  reason: string;
  /** Roll to this version instead of the last known-good one (roll forward). */
  target?: { from: string | null; to: string };
  /** Ask the policy whether this may run on its own after a grace period. */
  severity?: string | null;
  trigger?: 'alert' | 'analysis' | 'person';
}

export async function proposeRollback(deps: Deps, incidentId: string, req: ProposeRequest): Promise<ProposeResult> {
  const incident = await deps.store.incidents.get(incidentId);
  if (!incident) return { ok: false, code: 'unknown_incident', message: `No incident ${incidentId}.` };
  const svc = deps.service(incident.service);
  if (!svc) return { ok: false, code: 'unknown_service', message: `Service ${incident.service} is not in the policy.` };
  const live = await deps.store.proposals.liveFor(svc.name);
  if (live) return { ok: false, code: 'exists', message: `A rollback proposal for ${svc.name} is already ${live.state}.`, proposal: live };

  const log = deps.log.child({ incidentId, service: svc.name });
  const channelId = await ensureIncidentChannel(deps, incidentId, req.requestedBy);
  let versions;
  try {
    const reported = await deps.adapter(svc.name).versions();
    const rolledBackFrom = new Set((await deps.store.proposals.recent(svc.name, 50)).filter((x) => x.executedAt && x.fromVersion).map((x) => x.fromVersion!));
    versions = fillFromDeploys(reported, await deps.store.deploys.recent(svc.name), rolledBackFrom);
  } catch (err) {
    const message = `Cannot read versions from ${deps.adapter(svc.name).describe()}: ${errorText(err)}`;
    log.warn({ err }, 'reading versions failed');
    await deps.store.tx((r) => recordStep(deps, r, { incidentId, proposalId: null, actor: 'backstop', fact: { action: 'proposal.not_possible', problem: 'target_error', message } }));
    deps.kickOutbox();
    return { ok: false, code: 'target_error', message };
  }
  if (req.target) versions = { ...versions, current: req.target.from ?? versions.current, lastGood: req.target.to };
  if (!versions.lastGood || versions.lastGood === versions.current) {
    const message = `No known-good version to roll ${svc.name} back to (current: ${versions.current ?? 'unknown'}).`;
    await deps.store.tx((r) => recordStep(deps, r, { incidentId, proposalId: null, actor: 'backstop', fact: { action: 'proposal.not_possible', problem: 'no_target', message } }));
    deps.kickOutbox();
    return { ok: false, code: 'no_target', message };
  }

  const now = deps.clock.now();
  // A minute before the deploy: the sample at the deploy instant may already be the new version's.
  const baselineAt = versions.deployedAt ? new Date(versions.deployedAt.getTime() - 60_000) : new Date(now.getTime() - svc.baselineOffset);
  const target = versions.lastGood;
  const adapter = deps.adapter(svc.name);
  const [readings, preflight, plan] = await Promise.all([
    measureSlis(deps, svc, { baselineAt, currentVersion: versions.current, baselineVersion: target, currentSince: versions.deployedAt, sparkline: true }),
    adapter.preflight(target).catch((err: unknown) => ({ ok: false, checks: [{ name: 'pre-flight', ok: false, detail: errorText(err) }] })),
    // What approvers see is what executes: the plan's basis goes back to the adapter on approval.
    adapter.plan(target).then((pl) => ({ steps: pl.steps, ...(pl.basis !== undefined ? { basis: pl.basis } : {}) }), (err: unknown) => ({ steps: [`plan unavailable: ${errorText(err)}`] })),
  ]);
  const created = deps.clock.now();
  const outcome = await decideOutcome(deps, svc, { target: versions.lastGood, severity: req.severity ?? null, trigger: req.trigger ?? (req.requestedBy === 'alert' ? 'alert' : 'person') });
  const proposal: Proposal = {
    id: deps.ids.next('rb'), incidentId, service: svc.name, state: 'pending', rev: 0,
    fromVersion: versions.current, toVersion: versions.lastGood, requestedBy: req.requestedBy, reason: req.reason,
    requiredApprovals: svc.requiredApprovals, approvals: [], createdAt: created.toISOString(),
    expiresAt: new Date(created.getTime() + svc.proposalTtl).toISOString(), decidedAt: null, decidedBy: null,
    decisionReason: null, executedAt: null, verifiedAt: null, sliBefore: readings, sliAfter: null,
    executionDetail: null, channelId, messageTs: null,
    preflight, plan, baselineAt: baselineAt.toISOString(), readBack: null,
    automatic: outcome.automatic && preflight.ok,
    autoExecuteAt: outcome.automatic && preflight.ok ? new Date(created.getTime() + outcome.graceMs).toISOString() : null,
    breakGlass: null,
  };
  const inserted = await deps.store.tx(async (r) => {
    // Re-checked under the write lock: a concurrent trigger may have proposed meanwhile.
    const raced = await r.proposals.liveFor(svc.name);
    if (raced) return raced;
    await r.proposals.insert(proposal);
    await r.outbox.enqueue('update_proposal', { proposalId: proposal.id, incidentId }, { text: 'proposal' }, proposal.createdAt);
    await recordStep(deps, r, {
      incidentId, proposalId: proposal.id, actor: req.requestedBy,
      fact: { action: 'proposal.created', service: svc.name, from: proposal.fromVersion, to: proposal.toVersion, reason: req.reason, readings, required: proposal.requiredApprovals, expiresAt: proposal.expiresAt },
      details: { from: proposal.fromVersion, to: proposal.toVersion, sli: readings, requiredApprovals: proposal.requiredApprovals, plan: plan.steps, baselineAt: proposal.baselineAt },
    });
    if (!preflight.ok) {
      await recordStep(deps, r, { incidentId, proposalId: proposal.id, actor: 'backstop', fact: { action: 'preflight.failed', to: proposal.toVersion, checks: preflight.checks.filter((c) => !c.ok) } });
    } else if (proposal.automatic) {
      await recordStep(deps, r, { incidentId, proposalId: proposal.id, actor: 'policy', fact: { action: 'proposal.automatic', at: proposal.autoExecuteAt!, reason: req.reason } });
    } else if (outcome.refusal) {
      await recordStep(deps, r, { incidentId, proposalId: proposal.id, actor: 'policy', fact: { action: 'automatic.refused', refusal: outcome.refusal } });
    }
    return undefined;
  });
  deps.kickOutbox();
  if (inserted) return { ok: false, code: 'exists', message: `A rollback proposal for ${svc.name} is already ${inserted.state}.`, proposal: inserted };
  log.info({ proposalId: proposal.id, from: proposal.fromVersion, to: proposal.toVersion }, 'rollback proposed');
  if (proposal.automatic && proposal.autoExecuteAt) deps.armAutoExecute?.(proposal.id, new Date(proposal.autoExecuteAt));
  return { ok: true, proposal };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
