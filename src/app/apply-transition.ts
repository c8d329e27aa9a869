import { transition, type Effect, type Proposal, type ProposalEvent, type RefusalCode } from '../domain/proposal.js';
import type { Repositories } from '../ports/store.js';
import type { Deps } from './deps.js';
import { recordStep } from './record-step.js';

export type Applied =
  | { ok: true; proposal: Proposal; effects: Effect[] }
  | { ok: false; code: RefusalCode | 'lost_race' | 'not_found'; message: string };

/**
 * Loads the proposal, asks the state machine, and writes the result with a
 * compare-and-swap in one transaction with its audit rows and Slack messages.
 * A writer that lost the race is told so, and nothing of its attempt is stored.
 */
export async function applyTransition(
  deps: Deps,
  proposalId: string,
  event: ProposalEvent,
  actor: string,
  details: Record<string, unknown> = {},
  /** Other rows that must commit with this transition (e.g. the execution record), or not at all. */
  alongside?: (r: Repositories, written: Proposal) => Promise<void>,
): Promise<Applied> {
  const result = await deps.store.tx((r) => transitionIn(deps, r, proposalId, event, actor, details, alongside));
  deps.kickOutbox();
  return result;
}

/** The same, inside a transaction the caller holds (several changes that must commit together). */
export async function transitionIn(
  deps: Deps,
  r: Repositories,
  proposalId: string,
  event: ProposalEvent,
  actor: string,
  details: Record<string, unknown> = {},
  alongside?: (r: Repositories, written: Proposal) => Promise<void>,
): Promise<Applied> {
  const current = await r.proposals.get(proposalId);
  if (!current) return { ok: false, code: 'not_found', message: `No proposal ${proposalId}.` };
  const t = transition(current, event, deps.clock.now());
  // A refusal may still carry a state to keep: an approval after expiry expires the proposal.
  const toWrite = t.proposal;
  if (!toWrite) return { ok: false, code: t.ok ? 'invalid_transition' : t.code, message: t.ok ? '' : t.message };
  if (!(await r.proposals.save(toWrite, current.rev))) {
    return { ok: false, code: 'lost_race', message: 'Someone else changed this proposal at the same moment; look at the message for its current state.' };
  }
  await alongside?.(r, toWrite);
  const effects = t.effects ?? [];
  for (const e of effects) {
    if (e.type === 'announce') {
      await recordStep(deps, r, { incidentId: toWrite.incidentId, proposalId, actor: e.fact.action === 'proposal.expired' ? 'backstop' : actor, fact: e.fact, details: { state: toWrite.state, ...details } });
    }
  }
  await r.outbox.enqueue('update_proposal', { proposalId, incidentId: toWrite.incidentId }, { text: 'update' }, deps.clock.now().toISOString());
  return t.ok ? { ok: true, proposal: toWrite, effects } : { ok: false, code: t.code, message: t.message };
}
