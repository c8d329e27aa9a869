import { pgMigrations } from '../../../src/adapters/postgres/migrations/index.js';
/**
 * What only PostgreSQL has to get right: replicas starting together, schemas sharing a server,
 * connections the server kills, a replica that freezes mid-transaction, and chains longer than
 * one read batch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyPostgresAudit } from '../../../src/adapters/postgres/audit-verify.js';
import { createPostgresPool } from '../../../src/adapters/postgres/pool.js';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../../src/adapters/postgres/postgres-store.js';
import { TEST_AUDIT_KEY } from '../../support/audit-key.js';
import { postgresInstalled, PostgresServer } from '../../support/postgres.js';
import { at, incident, T0 } from './fixtures.js';

const skip = !postgresInstalled() && !process.env.CI;

describe.skipIf(skip)('PostgreSQL store with several replicas', () => {
  let server: PostgresServer;
  const open: PostgresStore[] = [];
  const store = async (url: string, opts: Partial<PostgresStoreOptions> = {}) => {
    const s = await openPostgresStore(url, { auditKey: TEST_AUDIT_KEY, ...opts });
    open.push(s);
    return s;
  };
  const gate = () => {
    let release!: () => void;
    const closed = new Promise<void>((resolve) => (release = resolve));
    return { closed, release };
  };

  beforeAll(async () => {
    server = await PostgresServer.start();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('migrates once when several replicas start on an empty database at the same moment', async () => {
    const { url, schema } = await server.freshSchema();
    const replicas = await Promise.all(Array.from({ length: 4 }, () => store(url)));
    const versions = await server.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    // Each migration once, however many replicas raced to apply it.
    expect(versions.rows).toEqual(pgMigrations.map((m) => ({ version: m.version })));
    await replicas[0]!.incidents.insert(incident());
    expect(await replicas[3]!.incidents.get('inc-1')).toMatchObject({ service: 'fraud-scorer' });
    // A restart finds nothing to do.
    await store(url);
    expect((await server.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`)).rows[0]).toEqual({ n: pgMigrations.length });
  });

  it('refuses a URL whose search_path names no schema, saying so', async () => {
    await expect(openPostgresStore(server.url({ schema: 'no_such_schema' }), { auditKey: TEST_AUDIT_KEY })).rejects.toThrow(/search_path names no existing schema/);
  });

  it('keeps the write turns of two Backstops in different schemas of one database apart', async () => {
    const a = await store((await server.freshSchema()).url);
    const b = await store((await server.freshSchema()).url);
    const held = gate();
    const slow = a.tx(async (r) => {
      await r.deploys.record({ service: 's', version: 'v1', at: T0, by: 'ci' }, T0);
      await held.closed;
    });
    // b's transaction does not wait for a's.
    await b.tx((r) => r.deploys.record({ service: 's', version: 'v2', at: T0, by: 'ci' }, T0));
    held.release();
    await slow;
    expect((await a.deploys.recent('s')).map((d) => d.version)).toEqual(['v1']);
    expect((await b.deploys.recent('s')).map((d) => d.version)).toEqual(['v2']);
  });

  it('ends the turn of a replica frozen mid-transaction after the idle timeout, and rolls its writes back', async () => {
    const { url } = await server.freshSchema();
    const frozen = await store(url, { idleInTransactionTimeoutMs: 300, onConnectionError: () => undefined });
    const other = await store(url);
    const thaw = gate();
    const holding = gate();
    const stuck = frozen.tx(async (r) => {
      await r.incidents.insert(incident());
      holding.release();
      await thaw.closed;
      await r.deploys.record({ service: 's', version: 'v1', at: T0, by: 'ci' }, T0);
    });
    await holding.closed;
    const started = Date.now();
    await other.tx((r) => r.incidents.insert(incident({ id: 'inc-2' })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    thaw.release();
    await expect(stuck).rejects.toThrow();
    expect((await other.incidents.listOpen()).map((i) => i.id)).toEqual(['inc-2']);
    // The frozen replica's pool replaces the connection the server closed.
    expect(await frozen.tx(() => Promise.resolve('works again'))).toBe('works again');
  });

  it('recovers when the server kills its connections', async () => {
    const { url } = await server.freshSchema();
    const s = await store(url, { onConnectionError: () => undefined });
    await s.incidents.insert(incident());
    await server.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'backstop' AND pid <> pg_backend_pid()");
    // A pooled connection may be found dead on first use; the next one is fresh.
    await s.incidents.get('inc-1').catch(() => undefined);
    expect(await s.incidents.get('inc-1')).toMatchObject({ id: 'inc-1' });
    expect(await s.tx((r) => r.incidents.resolve('inc-1', at(1), 'U1'))).toBe(true);
  });

  it('verifies a chain longer than one read batch, and finds a break past the first batch', async () => {
    const { url } = await server.freshSchema();
    const s = await store(url);
    await s.tx(async (r) => {
      for (let i = 0; i < 1_003; i++) await r.audit.append({ at: at(i), incidentId: null, proposalId: null, actor: 'bulk', action: 'step', details: { i } });
    });
    const head = await s.auditHead();
    expect(await s.verifyAudit({ anchor: head })).toEqual({ ok: true, rows: 1_003, legacy: 0, keyed: 1_003, afterAnchor: 0 });
    await s.pool.query("UPDATE audit SET details = '{\"i\":0}' WHERE seq = 1002");
    expect(await s.verifyAudit()).toMatchObject({ ok: false, rows: 1_002, brokenAt: 1_002 });
  });

  it('lets an operator verify the chain from a pool of its own while the bot keeps appending', async () => {
    const { url } = await server.freshSchema();
    const bot = await store(url);
    const append = (i: number) => bot.audit.append({ at: at(i), incidentId: null, proposalId: null, actor: 'bot', action: 'step', details: { i } });
    for (let i = 0; i < 20; i++) await append(i);
    const anchor = await bot.auditHead();
    const operator = createPostgresPool(url, { maxConnections: 1 });
    try {
      const [check] = await Promise.all([verifyPostgresAudit(operator, TEST_AUDIT_KEY, { anchor }), ...Array.from({ length: 20 }, (_, i) => append(20 + i))]);
      expect(check).toMatchObject({ ok: true, legacy: 0 });
      expect(check.rows).toBeGreaterThanOrEqual(20);
      expect(await verifyPostgresAudit(operator, TEST_AUDIT_KEY, { anchor })).toEqual({ ok: true, rows: 40, legacy: 0, keyed: 40, afterAnchor: 20 });
      await expect(verifyPostgresAudit(operator, 'another-audit-key-fedcba9876543210fedcba9876543210')).resolves.toMatchObject({ ok: false, brokenAt: 1, reason: expect.stringContaining('sealed with another key') });
    } finally {
      await operator.end();
    }
  });
});
