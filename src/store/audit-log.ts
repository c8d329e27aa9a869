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

/** The last row this transaction appended, and how many it appended (undefined: unknown, after a savepoint rolled back). */
interface TxHead {
  last: { seq: number; hash: string; at: string } | undefined;
  appended: number | undefined;
}

export class AuditLog {
  private readonly key: AuditKey;
  private tx: TxHead | undefined;
  /**
   * Rows committed, kept in memory so anchoring the head after a commit costs no count(*) (which
   * grows with the table); trusted only while `PRAGMA data_version` says no other connection
   * has committed since it was taken.
   */
  private rows: { n: number; dataVersion: number } | undefined;
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
    // Within one transaction the head is the row this transaction appended last (nobody else can
    // write under BEGIN IMMEDIATE); the first append of a transaction reads it from the table.
    const prev = this.tx?.last ?? (prep(this.db, 'SELECT hash, at FROM audit ORDER BY seq DESC LIMIT 1').get() as { hash: string; at: string } | undefined);
    const at = auditTime(input.at, prev?.at);
    const base = { ...input, at, prevHash: prev?.hash ?? GENESIS_HASH };
    const hash = macEntry(this.key, base);
    const res = prep(this.db, `INSERT INTO audit (at, incident_id, proposal_id, actor, action, details, prev_hash, hash, scheme, key_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'hmac-sha256', ?)`)
      .run(at, input.incidentId, input.proposalId, input.actor, input.action, JSON.stringify(input.details), base.prevHash, hash, this.key.id);
    const seq = Number(res.lastInsertRowid);
    const appended = this.tx ? this.tx.appended : 0;
    this.tx = { last: { seq, hash, at }, appended: appended === undefined ? undefined : appended + 1 };
    // Outside any transaction the row is already committed.
    if (!this.db.inTransaction) this.afterTransaction(true);
    return { ...base, hash, seq };
  }

  /**
   * A savepoint inside the transaction rolled back: rows this transaction appended may be gone,
   * so the next append reads the head again and the commit counts the rows.
   */
  savepointRolledBack(): void {
    if (this.tx) this.tx = { last: undefined, appended: undefined };
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
    const tx = this.tx;
    this.tx = undefined;
    if (!tx) return;
    const file = this.opts.headFile;
    if (!committed || !file) return;
    const dataVersion = prep(this.db, 'PRAGMA data_version').pluck().get() as number;
    // Counted again only when another connection wrote, or this transaction lost track.
    const n = this.rows && this.rows.dataVersion === dataVersion && tx.appended !== undefined ? this.rows.n + tx.appended : undefined;
    try {
      if (!this.headChecked) this.keepStaleHead(file);
      this.headChecked = true;
      let head: AuditHead;
      if (n !== undefined && tx.last) {
        head = signHead(this.key, { rows: n, seq: tx.last.seq, hash: tx.last.hash, at: tx.last.at });
      } else {
        head = this.head();
      }
      this.rows = { n: head.rows, dataVersion };
      writeHeadFile(file, head);
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
