import type { ExecutionRepository, ExecutionRow } from '../../ports/store.js';
import { one, type Sql } from './sql.js';

/** What was tried against the target for each proposal: a restart reads this before acting. */
export class PgExecutions implements ExecutionRepository {
  constructor(private readonly sql: Sql) {}

  async start(proposalId: string, at: string): Promise<void> {
    await this.sql.query('INSERT INTO executions (proposal_id, started_at) VALUES ($1, $2) ON CONFLICT (proposal_id) DO NOTHING', [proposalId, at]);
  }

  async attempt(proposalId: string, at: string): Promise<void> {
    await this.sql.query('UPDATE executions SET attempts = attempts + 1, last_attempt_at = $1 WHERE proposal_id = $2', [at, proposalId]);
  }

  async failedAttempt(proposalId: string, error: string): Promise<void> {
    await this.sql.query('UPDATE executions SET last_error = $1 WHERE proposal_id = $2', [error, proposalId]);
  }

  async finish(proposalId: string, at: string, outcome: 'succeeded' | 'failed' | 'reconciled', error: string | null): Promise<void> {
    await this.sql.query('UPDATE executions SET finished_at = $1, outcome = $2, last_error = coalesce($3, last_error) WHERE proposal_id = $4', [at, outcome, error, proposalId]);
  }

  async get(proposalId: string): Promise<ExecutionRow | undefined> {
    const r = await one(this.sql, 'SELECT * FROM executions WHERE proposal_id = $1', [proposalId]);
    if (!r) return undefined;
    return {
      proposalId: String(r.proposal_id), attempts: Number(r.attempts), startedAt: String(r.started_at),
      lastAttemptAt: (r.last_attempt_at as string | null) ?? null, lastError: (r.last_error as string | null) ?? null,
      finishedAt: (r.finished_at as string | null) ?? null, outcome: (r.outcome as string | null) ?? null,
    };
  }
}
