import type { Proposal, ProposalState } from '../../domain/proposal.js';
import type { ProposalRepository } from '../../ports/store.js';
import { params, toProposal } from '../../store/proposals.js';
import { changed, one, rows, type Sql } from './sql.js';

const LIVE = "state IN ('pending', 'approved', 'executing', 'executed')";

/** Column name, then the key of the shared `params` row that fills it. */
const INSERTED = [
  ['id', 'id'], ['incident_id', 'incidentId'], ['service', 'service'], ['state', 'state'], ['rev', 'rev'], ['from_version', 'fromVersion'],
  ['to_version', 'toVersion'], ['requested_by', 'requestedBy'], ['reason', 'reason'], ['required_approvals', 'requiredApprovals'], ['approvals', 'approvals'],
  ['created_at', 'createdAt'], ['expires_at', 'expiresAt'], ['decided_at', 'decidedAt'], ['decided_by', 'decidedBy'], ['decision_reason', 'decisionReason'],
  ['executed_at', 'executedAt'], ['verified_at', 'verifiedAt'], ['sli_before', 'sliBefore'], ['sli_after', 'sliAfter'], ['execution_detail', 'executionDetail'],
  ['channel_id', 'channelId'], ['message_ts', 'messageTs'], ['automatic', 'automatic'], ['auto_execute_at', 'autoExecuteAt'], ['break_glass', 'breakGlass'],
  ['preflight', 'preflight'], ['baseline_at', 'baselineAt'], ['plan', 'plan'], ['read_back', 'readBack'],
] as const;

/** What a decision may change; the rest is fixed when the proposal is made. */
const SAVED = [
  ['state', 'state'], ['rev', 'rev'], ['approvals', 'approvals'], ['decided_at', 'decidedAt'], ['decided_by', 'decidedBy'], ['decision_reason', 'decisionReason'],
  ['executed_at', 'executedAt'], ['verified_at', 'verifiedAt'], ['sli_after', 'sliAfter'], ['execution_detail', 'executionDetail'],
  ['break_glass', 'breakGlass'], ['read_back', 'readBack'],
] as const;

const INSERT_SQL = `INSERT INTO proposals (${INSERTED.map(([c]) => c).join(', ')}) VALUES (${INSERTED.map((_, i) => `$${i + 1}`).join(', ')})`;
const SAVE_SQL = `UPDATE proposals SET ${SAVED.map(([c], i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${SAVED.length + 1} AND rev = $${SAVED.length + 2}`;

export class PgProposals implements ProposalRepository {
  constructor(private readonly sql: Sql) {}

  async get(id: string): Promise<Proposal | undefined> {
    const r = await one(this.sql, 'SELECT * FROM proposals WHERE id = $1', [id]);
    return r ? toProposal(r) : undefined;
  }

  async hasLive(service: string): Promise<boolean> {
    return (await one(this.sql, `SELECT 1 FROM proposals WHERE service = $1 AND ${LIVE}`, [service])) !== undefined;
  }

  async liveFor(service: string): Promise<Proposal | undefined> {
    const r = await one(this.sql, `SELECT * FROM proposals WHERE service = $1 AND ${LIVE}`, [service]);
    return r ? toProposal(r) : undefined;
  }

  async forIncident(incidentId: string): Promise<Proposal[]> {
    return (await rows(this.sql, 'SELECT * FROM proposals WHERE incident_id = $1 ORDER BY created_at', [incidentId])).map(toProposal);
  }

  async inState(state: ProposalState): Promise<Proposal[]> {
    return (await rows(this.sql, 'SELECT * FROM proposals WHERE state = $1 ORDER BY created_at', [state])).map(toProposal);
  }

  async recent(service: string, limit: number): Promise<Proposal[]> {
    return (await rows(this.sql, 'SELECT * FROM proposals WHERE service = $1 ORDER BY created_at DESC LIMIT $2', [service, limit])).map(toProposal);
  }

  /** A second live proposal for the service fails on proposals_one_live (SQLSTATE 23505). */
  async insert(p: Proposal): Promise<void> {
    const v = params(p);
    await this.sql.query(INSERT_SQL, INSERTED.map(([, k]) => v[k]));
  }

  /**
   * Compare-and-swap on `rev`. Under READ COMMITTED a writer racing another waits for its row
   * lock, then re-checks `rev` against the committed row: the later one changes nothing.
   */
  async save(next: Proposal, expectedRev: number): Promise<boolean> {
    const v = params(next);
    return (await changed(this.sql, SAVE_SQL, [...SAVED.map(([, k]) => v[k]), next.id, expectedRev])) === 1;
  }

  async setMessageTs(id: string, ts: string): Promise<void> {
    await this.sql.query('UPDATE proposals SET message_ts = $1 WHERE id = $2', [ts, id]);
  }

  async dueToExpire(now: string): Promise<Proposal[]> {
    return (await rows(this.sql, "SELECT * FROM proposals WHERE state = 'pending' AND expires_at <= $1", [now])).map(toProposal);
  }

  async dueToAutoExecute(now: string): Promise<Proposal[]> {
    return (await rows(this.sql, "SELECT * FROM proposals WHERE state = 'pending' AND automatic = 1 AND auto_execute_at <= $1", [now])).map(toProposal);
  }

  async executedFor(service: string, limit = 50): Promise<Proposal[]> {
    return (await rows(this.sql, 'SELECT * FROM proposals WHERE service = $1 AND executed_at IS NOT NULL ORDER BY executed_at DESC LIMIT $2', [service, limit])).map(toProposal);
  }
}
