import type { Deps } from './deps.js';
import { autoExecuteDue } from './expire-proposals.js';

/**
 * Automatic rollbacks run at the end of their grace period to the second: a timer on the
 * injected clock per pending automatic proposal, armed from its persisted `autoExecuteAt`, so a
 * restart re-arms what the last process left. The periodic sweep stays as a safety net only.
 */
export class AutoExecuteTimers {
  private readonly timers = new Map<string, () => void>();
  private stopped = false;

  /** `mayAct`: asked as each timer fires, so a replica that lost its lease runs nothing. */
  constructor(private readonly deps: Deps, private readonly mayAct: () => boolean = () => true) {}

  /** Re-arms every pending automatic proposal from the store (start-up, failover). */
  async armPending(): Promise<void> {
    this.stopped = false;
    for (const p of await this.deps.store.proposals.inState('pending')) {
      if (p.automatic && p.autoExecuteAt) this.arm(p.id, new Date(p.autoExecuteAt));
    }
  }

  arm(proposalId: string, at: Date): void {
    if (this.stopped) return;
    this.timers.get(proposalId)?.();
    this.timers.set(proposalId, this.deps.clock.at(at, () => {
      this.timers.delete(proposalId);
      if (!this.stopped && this.mayAct()) this.deps.tasks.run('automatic rollbacks due', () => autoExecuteDue(this.deps));
    }));
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
