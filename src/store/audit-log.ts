import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import {
  AUDIT_SCHEMES, canonicalAuditText, GENESIS_HASH, keyedAuditText,
  type AuditEntry, type AuditHead, type SealedAuditEntry,
} from '../domain/audit.js';
import { headMacValid, keepStaleHead, readHeadFile, signHead, writeHeadFile } from './audit-anchor.js';
import { auditKey, mac, sameHex, type AuditKey } from './audit-key.js';
import { prep, type Db } from './db.js';

export interface AuditInput {
  at: string;
  incidentId: string | null;
  proposalId: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export interface AuditLogOptions {
  /** Seals every new row; never stored in the database. A string is taken as the secret. */
  key: AuditKey | string;
  /** Where the chain head is written after each commit that appended rows; null or absent: nowhere. */
  headFile?: string | null;
  /** The head could not be written (the rows are committed regardless). Default: a process warning. */
  onHeadError?: (error: unknown, file: string) => void;
}

const row = z.object({
  seq: z.number(), at: z.string(), incident_id: z.string().nullable(), proposal_id: z.string().nullable(),
  actor: z.string(), action: z.string(), details: z.string(), prev_hash: z.string(), hash: z.string(),
});
const sealed = row.extend({ scheme: z.enum(AUDIT_SCHEMES), key_id: z.string().nullable() });

function toEntry(r: unknown): AuditEntry {
  const x = row.parse(r);
  return {
    seq: x.seq, at: x.at, incidentId: x.incident_id, proposalId: x.proposal_id, actor: x.actor, action: x.action,
    details: z.record(z.string(), z.unknown()).parse(JSON.parse(x.details)), prevHash: x.prev_hash, hash: x.hash,
  };
}

function toSealed(r: unknown): SealedAuditEntry {
  const x = sealed.parse(r);
  return { ...toEntry(r), scheme: x.scheme, keyId: x.key_id };
}

/** The legacy (unkeyed) hash: anyone can recompute it, so it only catches careless edits. */
export function hashEntry(e: Omit<AuditEntry, 'hash' | 'seq'>): string {
  return createHash('sha256').update(canonicalAuditText(e)).digest('hex');
}

export function macEntry(key: AuditKey, e: Omit<AuditEntry, 'hash' | 'seq'>): string {
  return mac(key, keyedAuditText(e, key.id));
}

/** Unparseable timestamps are not compared (legacy rows may hold anything). */
const before = (a: string, b: string) => Date.parse(a) < Date.parse(b);

export interface ChainSummary {
  rows: number;
  /** Unkeyed rows, all before the first keyed one. */
  legacy: number;
  keyed: number;
  /** Rows written after the anchored head; null when no anchor was checked. */
  afterAnchor: number | null;
}

export type ChainCheck =
  | ({ ok: true } & ChainSummary)
  | { ok: false; rows: number; brokenAt: number | null; reason: string };

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
    const at = prev && before(input.at, prev.at) ? prev.at : input.at;
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
    return prep(this.db, 'SELECT * FROM audit WHERE incident_id = ? ORDER BY seq').all(incidentId).map(toEntry);
  }

  forProposal(proposalId: string): AuditEntry[] {
    return prep(this.db, 'SELECT * FROM audit WHERE proposal_id = ? ORDER BY seq').all(proposalId).map(toEntry);
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
    let prev: SealedAuditEntry | undefined;
    let n = 0;
    let legacy = 0;
    let firstKeyed: number | undefined;
    const broken = (brokenAt: number | null, reason: string): ChainCheck => ({ ok: false, rows: n, brokenAt, reason });
    for (const r of prep(this.db, 'SELECT * FROM audit ORDER BY seq').iterate()) {
      const e = toSealed(r);
      n++;
      if (e.prevHash !== (prev?.hash ?? GENESIS_HASH)) return broken(e.seq, `row ${e.seq} does not follow the row before it (deleted or reordered rows)`);
      if (e.scheme === 'sha256') {
        if (firstKeyed !== undefined) return broken(e.seq, `row ${e.seq} is unkeyed but keyed rows began at row ${firstKeyed} (rewritten without the key)`);
        if (hashEntry(e) !== e.hash) return broken(e.seq, `row ${e.seq} was changed after it was written`);
        legacy++;
      } else {
        firstKeyed ??= e.seq;
        if (e.keyId !== this.key.id) return broken(e.seq, `row ${e.seq} was sealed with another key (key id ${e.keyId ?? 'none'}; this key is ${this.key.id})`);
        if (!sameHex(macEntry(this.key, e), e.hash)) return broken(e.seq, `row ${e.seq} was changed after it was written (its MAC does not match)`);
        // Legacy rows predate the clamp in append(), so only keyed rows are held to it.
        if (prev && before(e.at, prev.at)) return broken(e.seq, `row ${e.seq} is dated ${e.at}, before row ${prev.seq} (${prev.at})`);
      }
      prev = e;
    }
    const summary = { rows: n, legacy, keyed: n - legacy };
    if (!opts.anchor) return { ok: true, ...summary, afterAnchor: null };
    const problem = this.anchorProblem(opts.anchor);
    if (problem) return broken(problem.brokenAt, problem.reason);
    return { ok: true, ...summary, afterAnchor: n - opts.anchor.rows };
  }

  /** Why the database no longer holds head `a`, if it does not. A few indexed lookups, no scan. */
  anchorProblem(a: AuditHead): { brokenAt: number | null; reason: string } | undefined {
    if (!headMacValid(this.key, a)) {
      return {
        brokenAt: null,
        reason: a.keyId === this.key.id ? 'the anchor was edited (its MAC does not match)' : `the anchor was sealed with another key (key id ${a.keyId}; this key is ${this.key.id})`,
      };
    }
    if (a.seq === 0) return undefined;
    const lastSeq = (prep(this.db, 'SELECT max(seq) FROM audit').pluck().get() as number | null) ?? 0;
    if (lastSeq < a.seq) {
      const missing = Math.max(a.rows - (prep(this.db, 'SELECT count(*) FROM audit').pluck().get() as number), 1);
      return { brokenAt: lastSeq + 1, reason: `${missing} row(s) missing from the end: the chain ends at row ${lastSeq} but the anchor records ${a.rows} row(s) up to row ${a.seq}` };
    }
    const hash = prep(this.db, 'SELECT hash FROM audit WHERE seq = ?').pluck().get(a.seq) as string | undefined;
    if (hash === undefined) return { brokenAt: a.seq, reason: `row ${a.seq}, the anchored head, is missing (deleted and the chain relinked after it)` };
    if (hash !== a.hash) return { brokenAt: a.seq, reason: `row ${a.seq} does not match the anchor (the chain was rewritten up to it)` };
    const upTo = prep(this.db, 'SELECT count(*) FROM audit WHERE seq <= ?').pluck().get(a.seq) as number;
    if (upTo !== a.rows) return { brokenAt: a.seq, reason: `${upTo} row(s) up to row ${a.seq} but the anchor records ${a.rows}` };
    return undefined;
  }
}
