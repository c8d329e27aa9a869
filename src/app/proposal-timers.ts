import type { Deps } from './deps.js';

/**
 * One timer per proposal on the injected clock, each running `work` when it fires, unless the
 * timers were stopped or this replica may not act (lost its lease) by then. What automatic
 * rollbacks and expiry share: they differ only in when a timer is armed and what it runs.
 */
export class ProposalTimers {
  private readonly timers = new Map<string, () => void>();
  private stopped = false;

  constructor(
    private readonly deps: Pick<Deps, 'clock' | 'tasks'>,
    private readonly task: string,
    private readonly work: () => Promise<unknown>,
    private readonly mayAct: () => boolean,
  ) {}

  /** Arms again after `stop()` (start-up, a regained lease). */
  resume(): void {
    this.stopped = false;
  }

  has(proposalId: string): boolean {
    return this.timers.has(proposalId);
  }

  /** Arms (or moves) the proposal's timer to `at`; a time already past fires at once. */
  arm(proposalId: string, at: Date): void {
    if (this.stopped) return;
    this.timers.get(proposalId)?.();
    this.timers.set(proposalId, this.deps.clock.at(at, () => {
      this.timers.delete(proposalId);
      if (!this.stopped && this.mayAct()) this.deps.tasks.run(this.task, this.work);
    }));
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
