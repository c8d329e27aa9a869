import { prep, type Db } from './db.js';

/** Replay guard: remembers signatures of accepted Slack requests for as long as they could be valid. */
export class SeenRequests {
  constructor(private readonly db: Db) {}

  /** True the first time a signature is seen; false for a replay. */
  remember(signature: string, at: string): boolean {
    return prep(this.db, 'INSERT OR IGNORE INTO seen_requests (signature, at) VALUES (?, ?)').run(signature, at).changes === 1;
  }

  forgetBefore(at: string): number {
    return prep(this.db, 'DELETE FROM seen_requests WHERE at < ?').run(at).changes;
  }
}
