/**
 * A named lease in the shared database: at most one holder at a time, for a limited time, so
 * timed work (analysis, automatic rollbacks, the expiry sweep, the Slack outbox, drills) runs on
 * one replica only. Each implementation decides whose clock the expiry is measured on and says so;
 * callers only pass durations.
 *
 * Every successful `tryAcquire` starts a new term with a larger fencing token (never reused, not
 * even by the same holder), so a write made under an old term can be told from a current one.
 */
export interface HeldLease {
  readonly name: string;
  readonly holder: string;
  /** Bumped on every acquisition; renewals keep it. */
  readonly fencing: number;
  /** When the database considers it expired (ISO), as of the write that set it. */
  readonly expiresAt: string;
}

export type AcquireResult =
  | { acquired: true; lease: HeldLease }
  /** Someone else holds it (holder and expiry as last read; null when nobody was found). */
  | { acquired: false; holder: string | null; expiresAt: string | null };

export type LeaseTerm = Pick<HeldLease, 'name' | 'holder' | 'fencing'>;

export interface LeaseStore {
  /** Takes the lease if it is free, expired, or already `holder`'s; in one atomic statement. */
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<AcquireResult>;
  /**
   * Extends the term for another `ttlMs`. False when the term is over (expired, released, or
   * taken by someone else): the caller is no longer the holder and must stop at once.
   */
  renew(term: LeaseTerm, ttlMs: number): Promise<boolean>;
  /** Ends the term now so another replica can take over without waiting for the TTL; no-op if it is not ours. */
  release(term: LeaseTerm): Promise<void>;
  /** The lease as stored (expired or not), or undefined if it was never taken. */
  current(name: string): Promise<HeldLease | undefined>;
}
