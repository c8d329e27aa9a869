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

export const GENESIS_HASH = '0'.repeat(64);

/** The exact text that is hashed; key order is fixed so the hash is reproducible. */
export function canonicalAuditText(e: Omit<AuditEntry, 'hash' | 'seq'>): string {
  return JSON.stringify([e.prevHash, e.at, e.incidentId, e.proposalId, e.actor, e.action, sortKeys(e.details)]);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}
