import { existsSync } from 'node:fs';
import { GENESIS_HASH, type AuditEntry, type AuditHead } from '../domain/audit.js';
import { keepStaleHead, readHeadFile, signHead, writeHeadFile } from './audit-anchor.js';
import { anchorProblem, auditTime, ChainVerifier, macEntry, toAuditEntry, toSealedAuditEntry, type AnchorProblem, type ChainCheck } from './audit-chain.js';
import { auditKey, type AuditKey } from './audit-key.js';
import { prep, type Db } from './db.js';

// The chain's pure rules live in audit-chain.ts (shared with the PostgreSQL store); re-exported for existing importers.
export { hashEntry, macEntry, type ChainCheck, type ChainSummary } from './audit-chain.js';
import type { AuditInput } from '../ports/store.js';

export type { AuditInput } from '../ports/store.js';

export interface AuditLogOptions {
  /** Seals every new row; never stored in the database. A string is taken as the secret. */
  key: AuditKey | string;
  /** Where the chain head is written after each commit that appended rows; null or absent: nowhere. */
  headFile?: string | null;
  /** The head could not be written (the rows are committed regardless). Default: a process warning. */
  onHeadError?: (error: unknown, file: string) => void;
}

export class AuditLog {
  private readonly key: AuditKey;
  private appended = false;
  private headFailing = false;
  private headChecked = false;

  constructor(private readonly db: Db, private readonly opts: AuditLogOptions) {
    this.key = typeof opts.key === 'string' ? auditKey(opts.key) : opts.key;
  }

  get keyId(): string {
    return this.key.id;
  }

  /**
   * Must run inside the caller's transaction so the row lands with the change it records.
   * A row is never dated before the one before it: order of writing is order of time.
   */
  append(input: AuditInput): AuditEntry {
    const prev = prep(this.db, 'SELECT hash, at FROM audit ORDER BY seq DESC LIMIT 1').get() as { hash: string; at: string } | undefined;
    const at = auditTime(input.at, prev?.at);
    const base = { ...input, at, prevHash: prev?.hash ?? GENESIS_HASH };
    const hash = macEntry(this.key, base);
    const res = prep(this.db, `INSERT INTO audit (at, incident_id, proposal_id, actor, action, details, prev_hash, hash, scheme, key_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'hmac-sha256', ?)`)
      .run(at, input.incidentId, input.proposalId, input.actor, input.action, JSON.stringify(input.details), base.prevHash, hash, this.key.id);
    this.appended = true;
    // Outside any transaction the row is already committed.
    if (!this.db.inTransaction) this.afterTransaction(true);
    return { ...base, hash, seq: Number(res.lastInsertRowid) };
  }

  forIncident(incidentId: string): AuditEntry[] {
    return prep(this.db, 'SELECT * FROM audit WHERE incident_id = ? ORDER BY seq').all(incidentId).map(toAuditEntry);
  }

  forProposal(proposalId: string): AuditEntry[] {
    return prep(this.db, 'SELECT * FROM audit WHERE proposal_id = ? ORDER BY seq').all(proposalId).map(toAuditEntry);
  }

  /** The chain's current head, sealed with the key: what the anchor file holds. */
  head(): AuditHead {
    const last = prep(this.db, 'SELECT seq, at, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; at: string; hash: string } | undefined;
    const rows = prep(this.db, 'SELECT count(*) FROM audit').pluck().get() as number;
    return signHead(this.key, { rows, seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, at: last?.at ?? null });
  }

  /**
   * Called by the store once its outermost transaction has ended: if that transaction
   * committed audit rows, the new head goes to the anchor file.
   */
  afterTransaction(committed: boolean): void {
    if (!this.appended) return;
    this.appended = false;
    const file = this.opts.headFile;
    if (!committed || !file) return;
    try {
      if (!this.headChecked) this.keepStaleHead(file);
      this.headChecked = true;
      writeHeadFile(file, this.head());
      this.headFailing = false;
    } catch (e) {
      // Warn once per outage, not once per transaction.
      if (this.headFailing) return;
      this.headFailing = true;
      this.report(e, file);
    }
  }

  /**
   * Before this process first replaces the anchor: rows deleted while the bot was down would
   * vanish from the record if the old head were simply overwritten with the new one.
   */
  private keepStaleHead(file: string): void {
    if (!existsSync(file)) return;
    const r = readHeadFile(file);
    const problem = r.ok ? this.anchorProblem(r.head)?.reason : r.problem;
    if (!problem) return;
    const kept = keepStaleHead(file);
    this.report(new Error(`the audit head in ${file} no longer matches the database (${problem}); kept it as ${kept}`), file);
  }

  private report(e: unknown, file: string): void {
    if (this.opts.onHeadError) this.opts.onHeadError(e, file);
    else process.emitWarning(`audit head ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }

  /**
   * Recomputes every row in order: an edited, inserted, reordered or deleted row breaks the
   * chain, and so does a keyed row failing its MAC, an unkeyed row after keyed ones, or a row
   * dated before the one before it. With `anchor` (a head taken earlier), the chain must
   * still hold that head: this is what catches rows deleted from the end.
   */
  verify(opts: { anchor?: AuditHead } = {}): ChainCheck {
    const chain = new ChainVerifier(this.key);
    for (const r of prep(this.db, 'SELECT * FROM audit ORDER BY seq').iterate()) {
      const broken = chain.push(toSealedAuditEntry(r));
      if (broken) return broken;
    }
    return chain.result(opts.anchor && { head: opts.anchor, problem: this.anchorProblem(opts.anchor) });
  }

  /** Why the database no longer holds head `a`, if it does not. A few indexed lookups, no scan. */
  anchorProblem(a: AuditHead): AnchorProblem | undefined {
    return anchorProblem(this.key, a, {
      lastSeq: () => (prep(this.db, 'SELECT max(seq) FROM audit').pluck().get() as number | null) ?? 0,
      rows: () => prep(this.db, 'SELECT count(*) FROM audit').pluck().get() as number,
      hashAt: (seq) => prep(this.db, 'SELECT hash FROM audit WHERE seq = ?').pluck().get(seq) as string | undefined,
      rowsUpTo: (seq) => prep(this.db, 'SELECT count(*) FROM audit WHERE seq <= ?').pluck().get(seq) as number,
    });
  }
}
