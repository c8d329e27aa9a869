import { describeStep } from '../domain/describe-step.js';
import { DRILL_MARK, isDrill } from '../domain/drill.js';
import { plainText } from '../domain/said.js';
import type { StepFact } from '../domain/step-fact.js';
import type { Repositories } from '../ports/store.js';
import type { Deps } from './deps.js';

/** Steps that inform but decide nothing: sent after proposals and decisions when Slack is busy. */
const CHATTER = new Set(['approve.refused', 'reject.refused', 'incident.opened', 'postmortem.drafted', 'proposal.not_possible']);

/** Steps worth a note on the PagerDuty incident: proposal, approvals, execution, verification. */
const NOTED = new Set(['proposal.created', 'proposal.approved_by', 'proposal.approved', 'proposal.rejected', 'proposal.expired', 'execution.started', 'execution.succeeded', 'execution.failed', 'execution.superseded', 'verification.recovered', 'verification.unconfirmed', 'verification.not_recovered']);

export interface Step {
  incidentId: string | null;
  proposalId: string | null;
  actor: string;
  fact: StepFact;
  details?: Record<string, unknown>;
  /** Where to post when the step belongs to no proposal and no incident with a channel (e.g. blindness during a bake). */
  channelId?: string;
}

/**
 * Writes one audit row (the fact, and its words in plain text for the postmortem) and queues its
 * threaded Slack message as the fact itself, worded by the Slack side when it is sent. Takes the
 * repositories of the caller's transaction, so the step, its audit row and its message commit together.
 */
export async function recordStep(deps: Pick<Deps, 'clock'>, r: Repositories, step: Step): Promise<void> {
  const at = deps.clock.now().toISOString();
  const incident = step.incidentId ? await r.incidents.get(step.incidentId) : undefined;
  const service = incident?.service;
  const drill = isDrill(service);
  const text = `${drill ? DRILL_MARK : ''}${plainText(describeStep(step.fact))}`;
  const action = step.fact.action;
  const entry = await r.audit.append({
    at, incidentId: step.incidentId, proposalId: step.proposalId, actor: step.actor, action,
    details: { text, fact: step.fact, ...step.details },
  });
  const priority = CHATTER.has(action) ? 1 : 0;
  const pagerDutyIncident = step.incidentId ? await r.incidents.pagerDutyIncident(step.incidentId) : null;
  const queued = { text, step: { fact: step.fact, seq: entry.seq, hash: entry.hash, actor: step.actor, at: entry.at, drill } };
  if (pagerDutyIncident && NOTED.has(action)) {
    // Worded when sent, with people's names (looked up outside this transaction); the text is the fallback.
    await r.outbox.enqueue('pagerduty_note', { incidentId: step.incidentId }, { text: `[Backstop] ${text} (audit #${entry.seq})`, step: queued.step }, at);
  }
  if (step.incidentId) {
    // The incident header shows every step's effect: posted when the incident opens (before any
    // proposal, so first in the channel), re-rendered after; queued updates merge into one edit.
    const opened = action === 'incident.opened';
    await r.outbox.enqueue('update_incident', { incidentId: step.incidentId }, { text: opened ? 'incident header' : 'header update' }, at, opened ? 0 : 1);
    if (opened) return;
  }
  if (step.proposalId) {
    await r.outbox.enqueue('thread', { proposalId: step.proposalId, incidentId: step.incidentId }, queued, at, priority);
  } else if (action === 'incident.status_update' && step.incidentId) {
    // No proposal yet: the status update threads under the header.
    await r.outbox.enqueue('thread', { incidentId: step.incidentId }, queued, at, priority);
  } else {
    const channelId = incident?.channelId ?? step.channelId;
    if (channelId) await r.outbox.enqueue('post', { channelId, incidentId: step.incidentId }, queued, at, priority);
  }
}
