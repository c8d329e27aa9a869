import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalAuditText, GENESIS_HASH, type AuditEntry } from '../domain/audit.js';
import { prep, type Db } from './db.js';

export interface AuditInput {
  at: string;
  incidentId: string | null;
  proposalId: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

const row = z.object({
  seq: z.number(), at: z.string(), incident_id: z.string().nullable(), proposal_id: z.string().nullable(),
  actor: z.string(), action: z.string(), details: z.string(), prev_hash: z.string(), hash: z.string(),
});

function toEntry(r: unknown): AuditEntry {
  const x = row.parse(r);
  return {
    seq: x.seq, at: x.at, incidentId: x.incident_id, proposalId: x.proposal_id, actor: x.actor, action: x.action,
    details: z.record(z.string(), z.unknown()).parse(JSON.parse(x.details)), prevHash: x.prev_hash, hash: x.hash,
  };
}

export function hashEntry(e: Omit<AuditEntry, 'hash' | 'seq'>): string {
  return createHash('sha256').update(canonicalAuditText(e)).digest('hex');
}

export type ChainCheck = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

export class AuditLog {
  constructor(private readonly db: Db) {}

  /** Must run inside the caller's transaction so the row lands with the change it records. */
  append(input: AuditInput): AuditEntry {
    const prev = prep(this.db, 'SELECT hash FROM audit ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined;
    const base = { ...input, prevHash: prev ?? GENESIS_HASH };
    const hash = hashEntry(base);
    const res = prep(this.db, 'INSERT INTO audit (at, incident_id, proposal_id, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(input.at, input.incidentId, input.proposalId, input.actor, input.action, JSON.stringify(input.details), base.prevHash, hash);
    return { ...base, hash, seq: Number(res.lastInsertRowid) };
  }

  forIncident(incidentId: string): AuditEntry[] {
    return prep(this.db, 'SELECT * FROM audit WHERE incident_id = ? ORDER BY seq').all(incidentId).map(toEntry);
  }

  forProposal(proposalId: string): AuditEntry[] {
    return prep(this.db, 'SELECT * FROM audit WHERE proposal_id = ? ORDER BY seq').all(proposalId).map(toEntry);
  }

  /** Recomputes every hash in order; any edited, inserted or deleted row breaks the chain. */
  verify(): ChainCheck {
    let prev = GENESIS_HASH;
    let n = 0;
    for (const r of prep(this.db, 'SELECT * FROM audit ORDER BY seq').iterate()) {
      const e = toEntry(r);
      n++;
      if (e.prevHash !== prev) return { ok: false, rows: n, brokenAt: e.seq, reason: `row ${e.seq} does not follow the row before it (deleted or reordered rows)` };
      if (hashEntry(e) !== e.hash) return { ok: false, rows: n, brokenAt: e.seq, reason: `row ${e.seq} was changed after it was written` };
      prev = e.hash;
    }
    return { ok: true, rows: n };
  }
}
