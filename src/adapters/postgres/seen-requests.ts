import type { SeenRequestRepository } from '../../ports/store.js';
import { changed, type Sql } from './sql.js';

/**
 * Replay guard (Slack signatures, PagerDuty webhook ids). One statement decides: of two replicas
 * handed the same delivery at once, the second waits for the first's insert and is told "seen".
 */
export class PgSeenRequests implements SeenRequestRepository {
  constructor(private readonly sql: Sql) {}

  async remember(signature: string, at: string): Promise<boolean> {
    return (await changed(this.sql, 'INSERT INTO seen_requests (signature, at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING', [signature, at])) === 1;
  }

  async forgetBefore(at: string): Promise<number> {
    return changed(this.sql, 'DELETE FROM seen_requests WHERE at < $1', [at]);
  }
}
