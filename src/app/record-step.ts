import { describeStep } from '../domain/describe-step.js';
import { DRILL_MARK, isDrill } from '../domain/drill.js';
import { plainText } from '../domain/said.js';
import type { StepFact } from '../domain/step-fact.js';
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
 * threaded Slack message as the fact itself, worded by the Slack side when it is sent. Must be
 * called inside a store transaction, so the step, its audit row and its message commit together.
 */
export function recordStep(deps: Deps, step: Step): void {
  const at = deps.clock.now().toISOString();
  const service = step.incidentId ? deps.store.incidents.get(step.incidentId)?.service : undefined;
  const drill = isDrill(service);
  const text = `${drill ? DRILL_MARK : ''}${plainText(describeStep(step.fact))}`;
  const action = step.fact.action;
  const entry = deps.store.audit.append({
    at, incidentId: step.incidentId, proposalId: step.proposalId, actor: step.actor, action,
    details: { text, fact: step.fact, ...step.details },
  });
  const priority = CHATTER.has(action) ? 1 : 0;
  const pagerDutyIncident = step.incidentId ? deps.store.incidents.pagerDutyIncident(step.incidentId) : null;
  if (pagerDutyIncident && NOTED.has(action)) {
    deps.store.outbox.enqueue('pagerduty_note', { incidentId: step.incidentId }, { text: `[Backstop] ${text} (audit #${entry.seq})` }, at);
  }
  const queued = { text, step: { fact: step.fact, seq: entry.seq, hash: entry.hash, actor: step.actor, at: entry.at, drill } };
  if (step.proposalId) {
    deps.store.outbox.enqueue('thread', { proposalId: step.proposalId, incidentId: step.incidentId }, queued, at, priority);
  } else {
    const channelId = (step.incidentId ? deps.store.incidents.get(step.incidentId)?.channelId : null) ?? step.channelId;
    if (channelId) deps.store.outbox.enqueue('post', { channelId, incidentId: step.incidentId }, queued, at, priority);
  }
}
