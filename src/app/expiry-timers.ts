import type { Deps } from './deps.js';
import { expireProposals } from './expire-proposals.js';
import { ProposalTimers } from './proposal-timers.js';

/**
 * Pending proposals expire at their `expiresAt`, not at the next sweep after it: each sweep (and
 * start-up) arms a timer on the injected clock for every pending proposal due before the sweep
 * after it. A proposal whose time passed while the bot was down expires at start-up.
 */
export class ExpiryTimers {
  private readonly timers: ProposalTimers;

  /** `mayAct`: asked as each timer fires, so a replica that lost its lease expires nothing. */
  constructor(private readonly deps: Deps, mayAct: () => boolean = () => true) {
    this.timers = new ProposalTimers(deps, 'proposals due to expire', () => expireProposals(deps), mayAct);
  }

  /** Arms a timer for each pending proposal expiring within `horizonMs` (those past due fire at once). */
  async armDue(horizonMs: number): Promise<void> {
    this.timers.resume();
    const until = this.deps.clock.now().getTime() + horizonMs;
    for (const p of await this.deps.store.proposals.inState('pending')) {
      if (this.timers.has(p.id) || Date.parse(p.expiresAt) > until) continue;
      this.timers.arm(p.id, new Date(p.expiresAt));
    }
  }

  stop(): void {
    this.timers.stop();
  }
}
