/** Time is injected everywhere so expiry, settle and timelines are tested without sleeping. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms` of this clock's time (a fake clock may resolve at once). */
  sleep(ms: number): Promise<void>;
}
