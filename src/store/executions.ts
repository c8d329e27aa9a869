import { prep, type Db } from './db.js';
import type { ExecutionRow } from '../ports/store.js';

export type { ExecutionRow } from '../ports/store.js';

/** What was tried against the target for each proposal: a restart reads this before acting. */
export class ExecutionRepo {
  constructor(private readonly db: Db) {}

  start(proposalId: string, at: string): void {
    prep(this.db, 'INSERT OR IGNORE INTO executions (proposal_id, started_at) VALUES (?, ?)').run(proposalId, at);
  }

  attempt(proposalId: string, at: string): void {
    prep(this.db, 'UPDATE executions SET attempts = attempts + 1, last_attempt_at = ? WHERE proposal_id = ?').run(at, proposalId);
  }

  failedAttempt(proposalId: string, error: string): void {
    prep(this.db, 'UPDATE executions SET last_error = ? WHERE proposal_id = ?').run(error, proposalId);
  }

  finish(proposalId: string, at: string, outcome: 'succeeded' | 'failed' | 'reconciled', error: string | null): void {
    prep(this.db, 'UPDATE executions SET finished_at = ?, outcome = ?, last_error = coalesce(?, last_error) WHERE proposal_id = ?').run(at, outcome, error, proposalId);
  }

  get(proposalId: string): ExecutionRow | undefined {
    const r = prep(this.db, 'SELECT * FROM executions WHERE proposal_id = ?').get(proposalId) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      proposalId: String(r.proposal_id), attempts: Number(r.attempts), startedAt: String(r.started_at),
      lastAttemptAt: (r.last_attempt_at as string | null) ?? null, lastError: (r.last_error as string | null) ?? null,
      finishedAt: (r.finished_at as string | null) ?? null, outcome: (r.outcome as string | null) ?? null,
    };
  }
}
