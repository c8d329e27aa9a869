import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresLeaseStore } from '../../src/adapters/postgres/lease.js';
import { migratePostgres } from '../../src/adapters/postgres/migrate.js';
import { numericTypes } from '../../src/adapters/postgres/sql.js';
import type { LeaseStore } from '../../src/ports/lease.js';
import { openDb } from '../../src/store/db.js';
import { SqliteLeaseStore } from '../../src/store/lease.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { Store } from '../../src/store/store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { FakeClock } from '../support/fake-clock.js';
import { postgresInstalled, PostgresServer } from '../support/postgres.js';

const TTL = 15_000;

/** Two replicas' lease stores on one database, and a way to let a lease lapse. */
interface Engine {
  a: LeaseStore;
  b: LeaseStore;
  /** Time passes until every lease written so far has expired. */
  lapse(): Promise<void>;
}

function describeLeaseContract(name: string, fresh: () => Promise<Engine>) {
  describe(`${name} leases`, () => {
    it('lets exactly one of several replicas asking at once take a free lease', async () => {
      const { a, b } = await fresh();
      const results = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((holder, i) => (i % 2 ? a : b).tryAcquire('leader', holder, TTL)));
      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.acquired ? winners[0]!.lease.holder : undefined;
      for (const r of results) if (!r.acquired) expect(r.holder).toBe(winner);
      expect((await a.current('leader'))?.holder).toBe(winner);
    });

    it('tells a refused replica who holds the lease and until when', async () => {
      const { a, b } = await fresh();
      const won = await a.tryAcquire('leader', 'r1', TTL);
      if (!won.acquired) throw new Error('the first replica should take a free lease');
      expect(await b.tryAcquire('leader', 'r2', TTL)).toEqual({ acquired: false, holder: 'r1', expiresAt: won.lease.expiresAt });
    });

    it('hands an expired lease to the next replica with a larger fencing token, and refuses the old holder', async () => {
      const { a, b, lapse } = await fresh();
      const first = await a.tryAcquire('leader', 'r1', TTL);
      if (!first.acquired) throw new Error('free lease refused');
      await lapse();
      const second = await b.tryAcquire('leader', 'r2', TTL);
      if (!second.acquired) throw new Error('expired lease refused');
      expect(second.lease.fencing).toBeGreaterThan(first.lease.fencing);
      expect(await a.renew(first.lease, TTL)).toBe(false);
      // The old holder's release must not free the new holder's lease.
      await a.release(first.lease);
      expect(await a.tryAcquire('leader', 'r1', TTL)).toMatchObject({ acquired: false, holder: 'r2' });
    });

    it('renews only an unbroken term: not after it lapsed, even if nobody took it', async () => {
      const { a, lapse } = await fresh();
      const got = await a.tryAcquire('leader', 'r1', TTL);
      if (!got.acquired) throw new Error('free lease refused');
      expect(await a.renew(got.lease, TTL)).toBe(true);
      expect((await a.current('leader'))?.fencing).toBe(got.lease.fencing);
      await lapse();
      expect(await a.renew(got.lease, TTL)).toBe(false);
    });

    it('starts a new term (new token) when the same holder takes it again', async () => {
      const { a } = await fresh();
      const one = await a.tryAcquire('leader', 'r1', TTL);
      const two = await a.tryAcquire('leader', 'r1', TTL);
      if (!one.acquired || !two.acquired) throw new Error('the holder should get its own lease back');
      expect(two.lease.fencing).toBe(one.lease.fencing + 1);
      // The earlier term is over: a stale renewal under its token is refused.
      expect(await a.renew(one.lease, TTL)).toBe(false);
      expect(await a.renew(two.lease, TTL)).toBe(true);
    });

    it('frees a released lease at once, and keeps counting tokens after it', async () => {
      const { a, b } = await fresh();
      const one = await a.tryAcquire('leader', 'r1', TTL);
      if (!one.acquired) throw new Error('free lease refused');
      await a.release(one.lease);
      const two = await b.tryAcquire('leader', 'r2', TTL);
      if (!two.acquired) throw new Error('released lease refused');
      expect(two.lease.fencing).toBe(one.lease.fencing + 1);
    });

    it('keeps leases of different names apart', async () => {
      const { a, b } = await fresh();
      expect((await a.tryAcquire('leader', 'r1', TTL)).acquired).toBe(true);
      expect((await b.tryAcquire('drills', 'r2', TTL)).acquired).toBe(true);
      expect(await a.current('nobody')).toBeUndefined();
    });
  });
}

describe('SQLite (two connections on one file, a shared fake clock)', () => {
  const opened: Store[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.db.close();
  });
  function replica(file: string, clock: FakeClock) {
    const sqlite = new Store(openDb(file), { auditKey: TEST_AUDIT_KEY, auditHead: null });
    opened.push(sqlite);
    const store = new SqliteStore(sqlite);
    return { sqlite, store, leases: new SqliteLeaseStore(store, clock) };
  }
  function two() {
    const file = join(mkdtempSync(join(tmpdir(), 'backstop-lease-')), 'b.db');
    const clock = new FakeClock();
    return { clock, a: replica(file, clock), b: replica(file, clock) };
  }

  describeLeaseContract('SQLite', async () => {
    const { clock, a, b } = two();
    return { a: a.leases, b: b.leases, lapse: async () => clock.advance(TTL) };
  });

  it('measures expiry on the clock it was given', async () => {
    const { clock, a, b } = two();
    const got = await a.leases.tryAcquire('leader', 'r1', TTL);
    expect(got).toMatchObject({ acquired: true, lease: { expiresAt: '2025-03-01T12:00:15.000Z' } });
    clock.advance(TTL - 1);
    expect((await b.leases.tryAcquire('leader', 'r2', TTL)).acquired).toBe(false);
    clock.advance(1);
    expect((await b.leases.tryAcquire('leader', 'r2', TTL)).acquired).toBe(true);
  });

  it('does not write a renewal into a use case\'s open transaction, so its rollback cannot undo it', async () => {
    const { clock, a } = two();
    const got = await a.leases.tryAcquire('leader', 'r1', TTL);
    if (!got.acquired) throw new Error('free lease refused');
    let inside!: () => void;
    const open = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const failing = a.store.tx(async () => {
      inside();
      await new Promise<void>((resolve) => (finish = resolve));
      throw new Error('the use case fails and rolls back');
    });
    await open;
    clock.advance(5_000);
    const renewed = a.leases.renew(got.lease, TTL);
    finish();
    await expect(failing).rejects.toThrow(/rolls back/);
    expect(await renewed).toBe(true);
    expect((await a.leases.current('leader'))?.expiresAt).toBe('2025-03-01T12:00:20.000Z');
  });
});

const skipPg = !postgresInstalled() && !process.env.CI;

describe.skipIf(skipPg)('PostgreSQL (a real server, a fresh schema per test, two pools)', () => {
  let server: PostgresServer;
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    server = await PostgresServer.start();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeLeaseContract('PostgreSQL', async () => {
    const { url } = await server.freshSchema();
    // The pools are built as the PostgreSQL store builds its own (bigint as number).
    const [one, two] = [0, 1].map(() => new pg.Pool({ connectionString: url, max: 3, types: numericTypes }));
    pools.push(one!, two!);
    // The leases table as the store's own migrations create it.
    await migratePostgres(one!);
    return {
      a: new PostgresLeaseStore(one!),
      b: new PostgresLeaseStore(two!),
      // The server's clock decides expiry; moving the stored expiry back is the same as time passing.
      lapse: async () => void (await one!.query("UPDATE leases SET expires_at = now() - interval '1 millisecond'")),
    };
  });
});
