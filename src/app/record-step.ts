import { DRILL_MARK, isDrill } from '../domain/drill.js';
import type { Deps } from './deps.js';


/** Steps that inform but decide nothing: sent after proposals and decisions when Slack is busy. */
const CHATTER = new Set(['approve.refused', 'reject.refused', 'incident.opened', 'postmortem.drafted', 'proposal.not_possible']);

/** Steps worth a note on the PagerDuty incident: proposal, approvals, execution, verification. */
const NOTED = new Set(['proposal.created', 'proposal.approved_by', 'proposal.approved', 'proposal.rejected', 'proposal.expired', 'execution.started', 'execution.succeeded', 'execution.failed', 'verification.recovered', 'verification.not_recovered']);

/** Slack mrkdwn to plain text for PagerDuty notes. */
function plainText(s: string): string {
  return s.replace(/<@([A-Z0-9]+)>/g, '@$1').replace(/<!subteam\^([A-Z0-9]+)>/g, '@group:$1').replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)').replace(/[*`]/g, '');
}

export interface Step {
  incidentId: string | null;
  proposalId: string | null;
  actor: string;
  action: string;
  text: string;
  details?: Record<string, unknown>;
  /** Where to post when the step belongs to no proposal and no incident with a channel (e.g. blindness during a bake). */
  channelId?: string;
}

/**
 * Writes one audit row and queues its threaded Slack message. Must be called inside a
 * store transaction, so the step, its audit row and its message commit together.
 */
export function recordStep(deps: Deps, input: Step): void {
  const at = deps.clock.now().toISOString();
  const service = input.incidentId ? deps.store.incidents.get(input.incidentId)?.service : undefined;
  const step = isDrill(service) && !input.text.startsWith(DRILL_MARK) ? { ...input, text: `${DRILL_MARK}${input.text}` } : input;
  const entry = deps.store.audit.append({
    at, incidentId: step.incidentId, proposalId: step.proposalId, actor: step.actor, action: step.action,
    details: { text: step.text, ...step.details },
  });
  const footer = `audit #${entry.seq} · ${step.action} · ${step.actor} · ${at} · ${entry.hash.slice(0, 12)}`;
  const blocks = [
    ...chunk(step.text, 3000).slice(0, 48).map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })),
    { type: 'context', elements: [{ type: 'mrkdwn', text: footer }] },
  ];
  const priority = CHATTER.has(step.action) ? 1 : 0;
  const pagerDutyIncident = step.incidentId ? deps.store.incidents.pagerDutyIncident(step.incidentId) : null;
  if (pagerDutyIncident && NOTED.has(step.action)) {
    deps.store.outbox.enqueue('pagerduty_note', { incidentId: step.incidentId }, { text: `[Backstop] ${plainText(step.text)} (audit #${entry.seq})` }, at);
  }
  if (step.proposalId) {
    deps.store.outbox.enqueue('thread', { proposalId: step.proposalId, incidentId: step.incidentId }, { text: step.text, blocks }, at, priority);
  } else {
    const channelId = (step.incidentId ? deps.store.incidents.get(step.incidentId)?.channelId : null) ?? step.channelId;
    if (channelId) deps.store.outbox.enqueue('post', { channelId, incidentId: step.incidentId }, { text: step.text, blocks }, at, priority);
  }
}

/** Splits long text at line breaks into pieces Slack accepts in one section (3000 chars). */
export function chunk(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    const piece = line.length > max ? line.slice(0, max - 1) + '…' : line;
    if (cur && cur.length + 1 + piece.length > max) {
      out.push(cur);
      cur = piece;
    } else {
      cur = cur ? `${cur}\n${piece}` : piece;
    }
  }
  if (cur || out.length === 0) out.push(cur || ' ');
  return out;
}
