import { transition, type Effect, type Proposal, type ProposalEvent, type RefusalCode } from '../domain/proposal.js';
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
export function applyTransition(
  deps: Deps,
  proposalId: string,
  event: ProposalEvent,
  actor: string,
  details: Record<string, unknown> = {},
  /** Other rows that must commit with this transition (e.g. the execution record), or not at all. */
  alongside?: (written: Proposal) => void,
): Applied {
  const result = deps.store.tx((): Applied => {
    const current = deps.store.proposals.get(proposalId);
    if (!current) return { ok: false, code: 'not_found', message: `No proposal ${proposalId}.` };
    const r = transition(current, event, deps.clock.now());
    // A refusal may still carry a state to keep: an approval after expiry expires the proposal.
    const toWrite = r.proposal;
    if (!toWrite) return { ok: false, code: r.ok ? 'invalid_transition' : r.code, message: r.ok ? '' : r.message };
    if (!deps.store.proposals.save(toWrite, current.rev)) {
      return { ok: false, code: 'lost_race', message: 'Someone else changed this proposal at the same moment; look at the message for its current state.' };
    }
    alongside?.(toWrite);
    const effects = r.effects ?? [];
    for (const e of effects) {
      if (e.type === 'announce') {
        recordStep(deps, { incidentId: toWrite.incidentId, proposalId, actor: e.fact.action === 'proposal.expired' ? 'backstop' : actor, fact: e.fact, details: { state: toWrite.state, ...details } });
      }
    }
    deps.store.outbox.enqueue('update_proposal', { proposalId, incidentId: toWrite.incidentId }, { text: 'update' }, deps.clock.now().toISOString());
    return r.ok ? { ok: true, proposal: toWrite, effects } : { ok: false, code: r.code, message: r.message };
  });
  deps.kickOutbox();
  return result;
}
