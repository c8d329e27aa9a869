/** One row of the tamper-evident audit trail. `hash` covers every other field and `prevHash`. */
export interface AuditEntry {
  seq: number;
  at: string;
  incidentId: string | null;
  proposalId: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * How a row's `hash` was made. `sha256` rows (written before the keyed chain) prove only that
 * nobody edited them carelessly: anyone can recompute them. `hmac-sha256` rows need the key.
 */
export type AuditScheme = 'sha256' | 'hmac-sha256';
export const AUDIT_SCHEMES = ['sha256', 'hmac-sha256'] as const satisfies readonly AuditScheme[];

/** A row as stored: its scheme, and for keyed rows the id of the key that sealed it. */
export interface SealedAuditEntry extends AuditEntry {
  scheme: AuditScheme;
  keyId: string | null;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The exact text that is hashed; key order is fixed so the hash is reproducible. */
export function canonicalAuditText(e: Omit<AuditEntry, 'hash' | 'seq'>): string {
  return JSON.stringify([e.prevHash, e.at, e.incidentId, e.proposalId, e.actor, e.action, sortKeys(e.details)]);
}

/** The text a keyed row's MAC covers: the scheme and key id too, so neither can be swapped unseen. */
export function keyedAuditText(e: Omit<AuditEntry, 'hash' | 'seq'>, keyId: string): string {
  return JSON.stringify(['hmac-sha256', keyId, e.prevHash, e.at, e.incidentId, e.proposalId, e.actor, e.action, sortKeys(e.details)]);
}

/**
 * The chain head as last committed, kept outside the database (the anchor file, or an export
 * of `backstop audit head`). Rows can be deleted from the end of a chain without breaking any
 * link; only a copy of the head taken earlier shows they are gone.
 */
export interface AuditHead {
  /** Format version of this document. */
  v: 1;
  /** Rows in the chain when the head was taken. */
  rows: number;
  /** Seq of the last row (0 for an empty chain). */
  seq: number;
  /** Hash of the last row (GENESIS_HASH for an empty chain). */
  hash: string;
  /** Timestamp of the last row (null for an empty chain). */
  at: string | null;
  /** Id of the key that made `mac`. */
  keyId: string;
  /** HMAC-SHA256 over the fields above, so the head cannot be edited or forged without the key. */
  mac: string;
}

/** The text a head's MAC covers; its own prefix keeps it from ever equalling a row's text. */
export function canonicalHeadText(h: Omit<AuditHead, 'mac'>): string {
  return JSON.stringify(['backstop-audit-head', h.v, h.rows, h.seq, h.hash, h.at, h.keyId]);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}
