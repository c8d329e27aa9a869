import type { Clock } from '../ports/clock.js';
import type { AcquireResult, HeldLease, LeaseStore, LeaseTerm } from '../ports/lease.js';
import { prep } from './db.js';
import type { SqliteStore } from './sqlite-store.js';

interface LeaseRow {
  name: string;
  holder: string;
  expires_at: string;
  fencing: number;
}

// One statement, so two processes on one file cannot both win: SQLite's write lock serialises it.
// The row stays after expiry or release, so `fencing` only ever grows.
const ACQUIRE = `
  INSERT INTO leases (name, holder, expires_at, fencing, acquired_at) VALUES (@name, @holder, @expires, 1, @now)
  ON CONFLICT (name) DO UPDATE SET
    holder = excluded.holder, expires_at = excluded.expires_at, fencing = leases.fencing + 1, acquired_at = excluded.acquired_at
  WHERE leases.expires_at <= excluded.acquired_at OR leases.holder = excluded.holder
  RETURNING name, holder, expires_at, fencing`;
const RENEW = 'UPDATE leases SET expires_at = @expires WHERE name = @name AND holder = @holder AND fencing = @fencing AND expires_at > @now';
const RELEASE = 'UPDATE leases SET expires_at = @now WHERE name = @name AND holder = @holder AND fencing = @fencing AND expires_at > @now';
const CURRENT = 'SELECT name, holder, expires_at, fencing FROM leases WHERE name = ?';

/**
 * Leases in the SQLite file. Expiry is on the caller's clock: the replicas that can share a SQLite
 * file run on one host, so they read the same wall clock (PostgreSQL's uses the server's instead).
 *
 * Each statement is one autocommit write, never part of a use case's transaction: the store's
 * connection may be inside one, held open across an await, and a renewal written there would be
 * rolled back with it while this replica believed it renewed. So while one is open the statement
 * queues behind it on the store's lock; otherwise it runs at once (a second connection in this
 * process instead would block the event loop waiting for a lock the process itself holds).
 */
export class SqliteLeaseStore implements LeaseStore {
  constructor(private readonly store: SqliteStore, private readonly clock: Clock) {}

  tryAcquire(name: string, holder: string, ttlMs: number): Promise<AcquireResult> {
    return this.exclusive((now) => {
      const won = prep(this.db, ACQUIRE).get({ name, holder, now: iso(now), expires: iso(now + ttlMs) }) as LeaseRow | undefined;
      if (won) return { acquired: true, lease: toLease(won) };
      const other = prep(this.db, CURRENT).get(name) as LeaseRow | undefined;
      return { acquired: false, holder: other?.holder ?? null, expiresAt: other?.expires_at ?? null };
    });
  }

  renew(term: LeaseTerm, ttlMs: number): Promise<boolean> {
    return this.exclusive((now) => prep(this.db, RENEW).run({ ...fields(term), now: iso(now), expires: iso(now + ttlMs) }).changes === 1);
  }

  async release(term: LeaseTerm): Promise<void> {
    await this.exclusive((now) => prep(this.db, RELEASE).run({ ...fields(term), now: iso(now) }));
  }

  current(name: string): Promise<HeldLease | undefined> {
    return this.exclusive(() => {
      const row = prep(this.db, CURRENT).get(name) as LeaseRow | undefined;
      return row && toLease(row);
    });
  }

  private get db() {
    return this.store.sqlite.db;
  }

  /** Reads the clock once it holds the lock, so waiting for the lock cannot make `now` stale. */
  private exclusive<T>(work: (nowMs: number) => T): Promise<T> {
    if (!this.db.inTransaction) {
      try {
        return Promise.resolve(work(this.clock.now().getTime()));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.store.tx(async () => work(this.clock.now().getTime()));
  }
}

function fields(term: LeaseTerm) {
  return { name: term.name, holder: term.holder, fencing: term.fencing };
}

function toLease(r: LeaseRow): HeldLease {
  return { name: r.name, holder: r.holder, fencing: r.fencing, expiresAt: r.expires_at };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
