import type { Deps } from './deps.js';
import { expireProposals } from './expire-proposals.js';

/**
 * Pending proposals expire at their `expiresAt`, not at the next sweep after it: each sweep (and
 * start-up) arms a timer on the injected clock for every pending proposal due before the sweep
 * after it. A proposal whose time passed while the bot was down expires at start-up.
 */
export class ExpiryTimers {
  private readonly timers = new Map<string, () => void>();
  private stopped = false;

  /** `mayAct`: asked as each timer fires, so a replica that lost its lease expires nothing. */
  constructor(private readonly deps: Deps, private readonly mayAct: () => boolean = () => true) {}

  /** Arms a timer for each pending proposal expiring within `horizonMs` (those past due fire at once). */
  async armDue(horizonMs: number): Promise<void> {
    this.stopped = false;
    const until = this.deps.clock.now().getTime() + horizonMs;
    for (const p of await this.deps.store.proposals.inState('pending')) {
      if (this.timers.has(p.id) || Date.parse(p.expiresAt) > until) continue;
      this.timers.set(p.id, this.deps.clock.at(new Date(p.expiresAt), () => {
        this.timers.delete(p.id);
        if (!this.stopped && this.mayAct()) this.deps.tasks.run('proposals due to expire', () => expireProposals(this.deps));
      }));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
