import { GENESIS_HASH, type AuditEntry, type AuditHead } from '../../domain/audit.js';
import type { AuditInput, AuditTrail } from '../../ports/store.js';
import { signHead } from '../../store/audit-anchor.js';
import { auditTime, macEntry, toAuditEntry } from '../../store/audit-chain.js';
import type { AuditKey } from '../../store/audit-key.js';
import { one, rows, type Sql } from './sql.js';

/** The audit trail on PostgreSQL: the same sealed rows as SQLite's, appended one line across replicas. */
export class PgAuditTrail implements AuditTrail {
  /**
   * The head as this transaction left it. The first append reads it under FOR UPDATE; that row
   * lock is held to COMMIT or ROLLBACK, so no other transaction (of any replica) can move the head
   * in between and later appends of the same transaction need not read it again. An instance
   * lives for one transaction (pgRepositories is built per `tx`).
   */
  private head: { seq: number; hash: string; at: string | null } | undefined;

  constructor(private readonly sql: Sql, private readonly key: AuditKey, private readonly onAppend: () => void = () => undefined) {}

  /**
   * Inside the caller's transaction. Locking the chain head row until commit makes appends of
   * concurrent transactions (any replica) take turns, each chaining on the committed last row.
   */
  async append(input: AuditInput): Promise<AuditEntry> {
    const head = this.head ?? (await this.lockHead());
    const at = auditTime(input.at, head.at ?? undefined);
    const base = { ...input, at, prevHash: head.hash };
    const hash = macEntry(this.key, base);
    const seq = head.seq + 1;
    await this.sql.query(`WITH sealed AS (
        INSERT INTO audit (seq, at, incident_id, proposal_id, actor, action, details, prev_hash, hash, scheme, key_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'hmac-sha256', $10)
      )
      UPDATE audit_chain SET rows = rows + 1, seq = $1, hash = $9, at = $2 WHERE id`,
    [seq, at, input.incidentId, input.proposalId, input.actor, input.action, JSON.stringify(input.details), base.prevHash, hash, this.key.id]);
    this.head = { seq, hash, at };
    this.onAppend();
    return { ...base, hash, seq };
  }

  private async lockHead(): Promise<{ seq: number; hash: string; at: string | null }> {
    const head = await one(this.sql, 'SELECT seq, hash, at FROM audit_chain WHERE id FOR UPDATE');
    if (!head) throw new Error('the audit_chain row is missing: the PostgreSQL schema was altered outside Backstop');
    return { seq: Number(head.seq), hash: head.hash as string, at: (head.at as string | null) ?? null };
  }

  async forIncident(incidentId: string): Promise<AuditEntry[]> {
    return (await rows(this.sql, 'SELECT * FROM audit WHERE incident_id = $1 ORDER BY seq', [incidentId])).map(toAuditEntry);
  }

  async forProposal(proposalId: string): Promise<AuditEntry[]> {
    return (await rows(this.sql, 'SELECT * FROM audit WHERE proposal_id = $1 ORDER BY seq', [proposalId])).map(toAuditEntry);
  }
}

/** The chain's committed head, sealed with the key: what the anchor file holds. */
export async function readAuditHead(sql: Sql, key: AuditKey): Promise<AuditHead> {
  const h = await one(sql, 'SELECT rows, seq, hash, at FROM audit_chain WHERE id');
  return signHead(key, { rows: Number(h?.rows ?? 0), seq: Number(h?.seq ?? 0), hash: (h?.hash as string | undefined) ?? GENESIS_HASH, at: (h?.at as string | null | undefined) ?? null });
}
