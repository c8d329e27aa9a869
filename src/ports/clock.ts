/** Time is injected everywhere so expiry, settle, schedules and timelines are tested without sleeping. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms` of this clock's time (a fake clock may resolve at once). */
  sleep(ms: number): Promise<void>;
  /**
   * Calls `fn` once this clock reaches `when` (at once if it already has); returns a cancel
   * function. Timed work (per-service analysis, automatic rollbacks at the end of their grace)
   * is armed with it, so a fake clock can fire it exactly.
   */
  at(when: Date, fn: () => void): () => void;
}
