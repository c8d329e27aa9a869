import type { Deps } from './deps.js';
import { autoExecuteDue } from './expire-proposals.js';
import { ProposalTimers } from './proposal-timers.js';

/**
 * Automatic rollbacks run at the end of their grace period to the second: a timer on the
 * injected clock per pending automatic proposal, armed from its persisted `autoExecuteAt`, so a
 * restart re-arms what the last process left. The periodic sweep stays as a safety net only.
 */
export class AutoExecuteTimers {
  private readonly timers: ProposalTimers;

  /** `mayAct`: asked as each timer fires, so a replica that lost its lease runs nothing. */
  constructor(private readonly deps: Deps, mayAct: () => boolean = () => true) {
    this.timers = new ProposalTimers(deps, 'automatic rollbacks due', () => autoExecuteDue(deps), mayAct);
  }

  /** Re-arms every pending automatic proposal from the store (start-up, failover). */
  async armPending(): Promise<void> {
    this.timers.resume();
    for (const p of await this.deps.store.proposals.inState('pending')) {
      if (p.automatic && p.autoExecuteAt) this.arm(p.id, new Date(p.autoExecuteAt));
    }
  }

  arm(proposalId: string, at: Date): void {
    this.timers.arm(proposalId, at);
  }

  stop(): void {
    this.timers.stop();
  }
}
