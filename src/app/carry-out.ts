import type { Effect } from '../domain/proposal.js';
import type { Deps } from './deps.js';
import { executeProposal } from './execute-rollback.js';
import { verifyRollback } from './verify-rollback.js';

/** Runs the slow effects of a transition after the caller has answered (Slack's 3 s ack). */
export function carryOut(deps: Deps, proposalId: string, effects: readonly Effect[]): void {
  for (const e of effects) {
    if (e.type === 'execute') deps.tasks.run(`execute ${proposalId}`, () => executeProposal(deps, proposalId));
    if (e.type === 'verify') deps.tasks.run(`verify ${proposalId}`, () => verifyRollback(deps, proposalId));
  }
}
