import { GENESIS_HASH } from '../../src/domain/audit.js';
import type { hashEntry } from '../../src/store/audit-log.js';
import type { Db } from '../../src/store/db.js';

interface Row { seq: number; at: string; incident_id: string | null; proposal_id: string | null; actor: string; action: string; details: string; hash: string }

export type Seal = (e: Parameters<typeof hashEntry>[0]) => string;

/**
 * What someone who can write the database file can do: recompute hash and prev_hash of every
 * row from `from` on with `seal` (plain SHA-256, or a MAC with a key of their own). `set` adds
 * SQL assignments for those rows, e.g. ", scheme = 'sha256'".
 */
export function rechain(db: Db, from: number, seal: Seal, set = ''): void {
  let prev = GENESIS_HASH;
  for (const r of db.prepare('SELECT * FROM audit ORDER BY seq').all() as Row[]) {
    if (r.seq < from) {
      prev = r.hash;
      continue;
    }
    const e = { at: r.at, incidentId: r.incident_id, proposalId: r.proposal_id, actor: r.actor, action: r.action, details: JSON.parse(r.details) as Record<string, unknown>, prevHash: prev };
    const hash = seal(e);
    db.prepare(`UPDATE audit SET prev_hash = ?, hash = ?${set} WHERE seq = ?`).run(prev, hash, r.seq);
    prev = hash;
  }
}
