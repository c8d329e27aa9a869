/**
 * The pure rules of the audit chain, shared by every engine: how a row is sealed, when a row is
 * dated, and how a chain read in seq order is judged. Engines only read and write the rows.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AUDIT_SCHEMES, canonicalAuditText, GENESIS_HASH, keyedAuditText, type AuditEntry, type AuditHead, type SealedAuditEntry } from '../domain/audit.js';
import { headMacValid } from './audit-anchor.js';
import { mac, sameHex, type AuditKey } from './audit-key.js';

/** The legacy (unkeyed) hash: anyone can recompute it, so it only catches careless edits. */
export function hashEntry(e: Omit<AuditEntry, 'hash' | 'seq'>): string {
  return createHash('sha256').update(canonicalAuditText(e)).digest('hex');
}

export function macEntry(key: AuditKey, e: Omit<AuditEntry, 'hash' | 'seq'>): string {
  return mac(key, keyedAuditText(e, key.id));
}

/** Unparseable timestamps are not compared (legacy rows may hold anything). */
const before = (a: string, b: string) => Date.parse(a) < Date.parse(b);

/** A row is never dated before the one before it: order of writing is order of time. */
export function auditTime(at: string, prevAt: string | undefined): string {
  return prevAt !== undefined && before(at, prevAt) ? prevAt : at;
}

/** An audit row as both engines store it (details as JSON text). */
const row = z.object({
  seq: z.number(), at: z.string(), incident_id: z.string().nullable(), proposal_id: z.string().nullable(),
  actor: z.string(), action: z.string(), details: z.string(), prev_hash: z.string(), hash: z.string(),
});
const sealed = row.extend({ scheme: z.enum(AUDIT_SCHEMES), key_id: z.string().nullable() });

export function toAuditEntry(r: unknown): AuditEntry {
  const x = row.parse(r);
  return {
    seq: x.seq, at: x.at, incidentId: x.incident_id, proposalId: x.proposal_id, actor: x.actor, action: x.action,
    details: z.record(z.string(), z.unknown()).parse(JSON.parse(x.details)), prevHash: x.prev_hash, hash: x.hash,
  };
}

export function toSealedAuditEntry(r: unknown): SealedAuditEntry {
  const x = sealed.parse(r);
  return { ...toAuditEntry(r), scheme: x.scheme, keyId: x.key_id };
}

export interface ChainSummary {
  rows: number;
  /** Unkeyed rows, all before the first keyed one. */
  legacy: number;
  keyed: number;
  /** Rows written after the anchored head; null when no anchor was checked. */
  afterAnchor: number | null;
}

export type ChainBreak = { ok: false; rows: number; brokenAt: number | null; reason: string };
export type ChainCheck = ({ ok: true } & ChainSummary) | ChainBreak;

/**
 * Judges rows fed in seq order: an edited, inserted, reordered or deleted row breaks the chain,
 * and so does a keyed row failing its MAC, an unkeyed row after keyed ones, or a row dated
 * before the one before it. Stop feeding at the first break `push` returns.
 */
export class ChainVerifier {
  private prev: SealedAuditEntry | undefined;
  private n = 0;
  private legacy = 0;
  private firstKeyed: number | undefined;

  constructor(private readonly key: AuditKey) {}

  broken(brokenAt: number | null, reason: string): ChainBreak {
    return { ok: false, rows: this.n, brokenAt, reason };
  }

  push(e: SealedAuditEntry): ChainBreak | undefined {
    const prev = this.prev;
    this.n++;
    if (e.prevHash !== (prev?.hash ?? GENESIS_HASH)) return this.broken(e.seq, `row ${e.seq} does not follow the row before it (deleted or reordered rows)`);
    if (e.scheme === 'sha256') {
      if (this.firstKeyed !== undefined) return this.broken(e.seq, `row ${e.seq} is unkeyed but keyed rows began at row ${this.firstKeyed} (rewritten without the key)`);
      if (hashEntry(e) !== e.hash) return this.broken(e.seq, `row ${e.seq} was changed after it was written`);
      this.legacy++;
    } else {
      this.firstKeyed ??= e.seq;
      if (e.keyId !== this.key.id) return this.broken(e.seq, `row ${e.seq} was sealed with another key (key id ${e.keyId ?? 'none'}; this key is ${this.key.id})`);
      if (!sameHex(macEntry(this.key, e), e.hash)) return this.broken(e.seq, `row ${e.seq} was changed after it was written (its MAC does not match)`);
      // Legacy rows predate the clamp in append(), so only keyed rows are held to it.
      if (prev && before(e.at, prev.at)) return this.broken(e.seq, `row ${e.seq} is dated ${e.at}, before row ${prev.seq} (${prev.at})`);
    }
    this.prev = e;
    return undefined;
  }

  /** Once every row was fed: the summary, or the break `anchorProblem` found for `anchor`. */
  result(anchor?: { head: AuditHead; problem: AnchorProblem | undefined }): ChainCheck {
    const summary = { rows: this.n, legacy: this.legacy, keyed: this.n - this.legacy };
    if (!anchor) return { ok: true, ...summary, afterAnchor: null };
    if (anchor.problem) return this.broken(anchor.problem.brokenAt, anchor.problem.reason);
    return { ok: true, ...summary, afterAnchor: this.n - anchor.head.rows };
  }
}

export interface AnchorProblem {
  brokenAt: number | null;
  reason: string;
}

/** What the database says about an anchored head; called lazily so an engine can answer with indexed lookups. */
export interface AnchorFacts {
  lastSeq(): number;
  rows(): number;
  hashAt(seq: number): string | undefined;
  rowsUpTo(seq: number): number;
}

/** Why the database no longer holds head `a`, if it does not. */
export function anchorProblem(key: AuditKey, a: AuditHead, facts: AnchorFacts): AnchorProblem | undefined {
  if (!headMacValid(key, a)) {
    return {
      brokenAt: null,
      reason: a.keyId === key.id ? 'the anchor was edited (its MAC does not match)' : `the anchor was sealed with another key (key id ${a.keyId}; this key is ${key.id})`,
    };
  }
  if (a.seq === 0) return undefined;
  const lastSeq = facts.lastSeq();
  if (lastSeq < a.seq) {
    const missing = Math.max(a.rows - facts.rows(), 1);
    return { brokenAt: lastSeq + 1, reason: `${missing} row(s) missing from the end: the chain ends at row ${lastSeq} but the anchor records ${a.rows} row(s) up to row ${a.seq}` };
  }
  const hash = facts.hashAt(a.seq);
  if (hash === undefined) return { brokenAt: a.seq, reason: `row ${a.seq}, the anchored head, is missing (deleted and the chain relinked after it)` };
  if (hash !== a.hash) return { brokenAt: a.seq, reason: `row ${a.seq} does not match the anchor (the chain was rewritten up to it)` };
  const upTo = facts.rowsUpTo(a.seq);
  if (upTo !== a.rows) return { brokenAt: a.seq, reason: `${upTo} row(s) up to row ${a.seq} but the anchor records ${a.rows}` };
  return undefined;
}
