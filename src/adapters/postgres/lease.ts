import type { AcquireResult, HeldLease, LeaseStore, LeaseTerm } from '../../ports/lease.js';
import { one, type Sql } from './sql.js';

// The table is created by migrations/002-leases.ts; expiry is a timestamptz set from the server's clock.

// Columns as text, so the answer does not depend on the pool's type parsers.
const COLUMNS = `name, holder, fencing::text AS fencing, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at`;

// One statement: concurrent upserts of the same name queue on the row, and the loser re-checks
// the WHERE against the winner's row, so two replicas cannot both take it. The row outlives
// expiry and release, so `fencing` only ever grows.
const ACQUIRE = `
  INSERT INTO leases AS l (name, holder, expires_at, fencing, acquired_at)
  VALUES ($1, $2, now() + $3 * interval '1 millisecond', 1, now())
  ON CONFLICT (name) DO UPDATE SET
    holder = excluded.holder, expires_at = excluded.expires_at, fencing = l.fencing + 1, acquired_at = excluded.acquired_at
  WHERE l.expires_at <= now() OR l.holder = excluded.holder
  RETURNING ${COLUMNS}`;
const RENEW = `UPDATE leases SET expires_at = now() + $4 * interval '1 millisecond' WHERE name = $1 AND holder = $2 AND fencing = $3 AND expires_at > now()`;
const RELEASE = 'UPDATE leases SET expires_at = now() WHERE name = $1 AND holder = $2 AND fencing = $3 AND expires_at > now()';
const CURRENT = `SELECT ${COLUMNS} FROM leases WHERE name = $1`;

/**
 * Leases on PostgreSQL. Expiry uses the server's `now()`, never a replica's clock: every replica
 * compares against one clock, so a replica whose clock runs ahead cannot take a lease early.
 * (Each replica still decides locally, on its own monotonic clock, when to stop: see Leadership.)
 *
 * Give it the pool, not a transaction's client: a renewal inside someone's transaction would be
 * rolled back with it. It takes no advisory write lock either: each statement is atomic on its own
 * row, and a renewal must not queue behind the store's long transactions.
 */
export class PostgresLeaseStore implements LeaseStore {
  constructor(private readonly pool: Sql) {}

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<AcquireResult> {
    const won = await one(this.pool, ACQUIRE, [name, holder, ttlMs]);
    if (won) return { acquired: true, lease: toLease(won) };
    const other = await one(this.pool, CURRENT, [name]);
    return { acquired: false, holder: (other?.holder as string | undefined) ?? null, expiresAt: (other?.expires_at as string | undefined) ?? null };
  }

  async renew(term: LeaseTerm, ttlMs: number): Promise<boolean> {
    const r = await this.pool.query(RENEW, [term.name, term.holder, term.fencing, ttlMs]);
    return r.rowCount === 1;
  }

  async release(term: LeaseTerm): Promise<void> {
    await this.pool.query(RELEASE, [term.name, term.holder, term.fencing]);
  }

  async current(name: string): Promise<HeldLease | undefined> {
    const row = await one(this.pool, CURRENT, [name]);
    return row && toLease(row);
  }
}

function toLease(r: Record<string, unknown>): HeldLease {
  return { name: r.name as string, holder: r.holder as string, fencing: Number(r.fencing), expiresAt: r.expires_at as string };
}
