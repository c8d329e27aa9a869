import type pg from 'pg';
import type { AuditHead } from '../../domain/audit.js';
import { anchorProblem, ChainVerifier, toSealedAuditEntry, type AnchorFacts, type ChainCheck } from '../../store/audit-chain.js';
import { auditKey, type AuditKey } from '../../store/audit-key.js';
import { checkout, one, rows, type Sql } from './sql.js';

const BATCH = 1000;

/**
 * `backstop audit verify` for PostgreSQL: every row in seq order, judged by the same rules as
 * SQLite's chain (src/store/audit-chain.ts), from one snapshot so rows appended meanwhile by a
 * running bot neither break nor join the check. With `anchor`, the chain must still hold it.
 */
export async function verifyPostgresAudit(pool: pg.Pool, key: AuditKey | string, opts: { anchor?: AuditHead } = {}): Promise<ChainCheck> {
  const k = typeof key === 'string' ? auditKey(key) : key;
  const { client, done } = await checkout(pool);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const chain = new ChainVerifier(k);
    for (let after = 0; ;) {
      const batch = await rows(client, 'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2', [after, BATCH]);
      for (const r of batch) {
        const broken = chain.push(toSealedAuditEntry(r));
        if (broken) return broken;
      }
      if (batch.length < BATCH) break;
      after = Number((batch[batch.length - 1] as { seq: number }).seq);
    }
    return chain.result(opts.anchor && { head: opts.anchor, problem: anchorProblem(k, opts.anchor, await anchorFacts(client, opts.anchor.seq)) });
  } finally {
    let broken: unknown;
    await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
    done(broken);
  }
}

/** What the database says about the row an anchor names, in one round trip. */
export async function anchorFacts(sql: Sql, seq: number): Promise<AnchorFacts> {
  const r = (await one(sql, `SELECT coalesce((SELECT max(seq) FROM audit), 0) AS last_seq, (SELECT count(*) FROM audit) AS rows,
      (SELECT hash FROM audit WHERE seq = $1) AS hash, (SELECT count(*) FROM audit WHERE seq <= $1) AS up_to`, [seq]))!;
  return {
    lastSeq: () => Number(r.last_seq),
    rows: () => Number(r.rows),
    hashAt: (s) => (s === seq ? ((r.hash as string | null) ?? undefined) : undefined),
    rowsUpTo: (s) => (s === seq ? Number(r.up_to) : 0),
  };
}
