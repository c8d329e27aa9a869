import type { Deploy, DeployRepository } from '../../ports/store.js';
import { rows, type Sql } from './sql.js';

/** Deploys reported over `POST /deploys`. */
export class PgDeploys implements DeployRepository {
  constructor(private readonly sql: Sql) {}

  async record(d: Deploy, receivedAt: string): Promise<void> {
    await this.sql.query('INSERT INTO deploys (service, version, at, by, received_at) VALUES ($1, $2, $3, $4, $5)', [d.service, d.version, d.at, d.by, receivedAt]);
  }

  /** Newest first. */
  async recent(service: string, limit = 20): Promise<Deploy[]> {
    return (await rows(this.sql, 'SELECT service, version, at, by FROM deploys WHERE service = $1 ORDER BY at DESC, seq DESC LIMIT $2', [service, limit])) as Deploy[];
  }
}
