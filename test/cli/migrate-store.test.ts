/**
 * `npx backstop migrate-store` as an operator runs it: a SQLite database written by the real
 * use cases (an alert, two approvals, a rollback that verified, a withdrawn request), copied
 * into a fresh PostgreSQL schema, then read back through the PostgreSQL store.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPostgresAudit } from '../../src/adapters/postgres/audit-verify.js';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';
import { openPostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { requestRollback } from '../../src/app/request-rollback.js';
import { resolveIncident } from '../../src/app/resolve-incident.js';
import { COPIED_TABLES } from '../../src/cli/migrate-store.js';
import { defaultHeadFile, writeHeadFile } from '../../src/store/audit-anchor.js';
import { auditKey } from '../../src/store/audit-key.js';
import { openDb } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { trackForTest } from '../support/children.js';
import { buildHarness, firingAlert } from '../support/harness.js';
import { postgresInstalled, PostgresServer } from '../support/postgres.js';

const BIN = join(process.cwd(), 'bin', 'backstop.js');
const root = mkdtempSync(join(tmpdir(), 'backstop-migrate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** The real bin as a child process, without the caller's Backstop or Slack settings; stopped with the test. */
function backstop(args: string[], env: Record<string, string>): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(BACKSTOP_|SLACK_)/.test(e[0])));
  const child = trackForTest(spawn(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

const migrate = (from: string, to: string, extra: Record<string, string> = {}, ...args: string[]) =>
  backstop(['migrate-store', '--from', from, '--to', to, ...args], { BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY, ...extra });

/**
 * A database file the bot's use cases wrote: one incident rolled back and verified, its alerts
 * resolved; a second whose requested rollback was withdrawn; deploys, measurements, a seen
 * request and one message still unsent. Its anchor lies beside it, as the bot keeps it.
 */
async function botDatabase(): Promise<string> {
  const h = buildHarness({ postmortemDir: mkdtempSync(join(root, 'pm-')) });
  await handleAlerts(h.deps, [firingAlert(), firingAlert({ fingerprint: '8447eb3cf3b98b25' })]);
  await h.settle();
  const p = h.store.proposals.liveFor('fraud-scorer')!;
  expect((await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' })).ok).toBe(true);
  expect((await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' })).ok).toBe(true);
  await h.settle();
  expect(h.store.proposals.get(p.id)!.state).toBe('verified');
  h.clock.advance(60_000);
  await handleAlerts(h.deps, [firingAlert({ status: 'resolved' }), firingAlert({ fingerprint: '8447eb3cf3b98b25', status: 'resolved' })]);
  await h.settle();
  await resolveIncident(h.deps, p.incidentId, { kind: 'person', user: 'U0ALICE' });
  await h.settle();
  h.clock.advance(60_000);
  h.registry.promote('fraud-scorer', 'v42', { actor: 'ci', reason: 'retry the release' });
  h.clock.advance(60_000);
  const req = await requestRollback(h.deps, { service: 'fraud-scorer', user: 'U0ALICE', reason: 'accuracy looks off again' });
  if (!req.ok) throw new Error(req.message);
  expect((await resolveIncident(h.deps, req.proposal.incidentId, { kind: 'person', user: 'U0BOB' })).ok).toBe(true);
  await h.settle();
  const now = h.clock.now().toISOString();
  h.store.deploys.record({ service: 'fraud-scorer', version: 'v43', at: now, by: 'ci' }, now);
  h.store.measurements.add({ service: 'fraud-scorer', sli: 'accuracy', at: now, verdict: 'ok', value: 0.9123456789, baseline: 0.91, reason: 'within threshold' });
  h.store.measurements.add({ service: 'fraud-scorer', sli: 'accuracy', at: now, verdict: 'no_data', value: null, baseline: null, reason: 'collecting', collecting: true });
  h.store.seen.remember('v0=slack-signature', now);
  h.store.outbox.enqueue('post', { channelId: 'C0INCIDENT' }, { text: 'still to be sent' }, now);
  // The harness keeps its database in memory: the file is its exact image (rowids included).
  const file = join(mkdtempSync(join(root, 'db-')), 'backstop.db');
  writeFileSync(file, h.db.serialize());
  writeHeadFile(defaultHeadFile(file), h.store.audit.head());
  h.db.close();
  return file;
}

/** Every row of a copied table in SQLite, in a stable order (alerts with SQLite's rowid as PostgreSQL's seq). */
function sqliteRows(file: string, table: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    const order = { incidents: 'id', proposals: 'id', executions: 'proposal_id', seen_requests: 'signature' }[table as string] ?? 'rowid';
    return db.prepare(`SELECT ${table === 'alerts' ? 'rowid AS seq, ' : ''}* FROM ${table} ORDER BY ${order}`).all();
  } finally {
    db.close();
  }
}

/** The same order in PostgreSQL: text keys compared bytewise, as SQLite does. */
const PG_ORDER: Record<string, string> = {
  incidents: 'id COLLATE "C"', alerts: 'seq', proposals: 'id COLLATE "C"', executions: 'proposal_id COLLATE "C"', audit: 'seq',
  outbox: 'id', deploys: 'seq', measurements: 'seq', seen_requests: 'signature COLLATE "C"',
};

describe.skipIf(!postgresInstalled() && !process.env.CI)('npx backstop migrate-store', () => {
  let server: PostgresServer;
  let source: string;
  beforeAll(async () => {
    server = await PostgresServer.start();
    source = await botDatabase();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const count = async (schema: string, table: string) => Number((await server.query(`SELECT count(*) AS n FROM ${schema}.${table}`)).rows[0].n);

  it('copies every shared table verbatim; the chain verifies on PostgreSQL with the same key and goes on from its head', async () => {
    const { url } = await server.freshSchema();
    const r = await migrate(source, url);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const table of COPIED_TABLES) expect(r.out).toMatch(new RegExp(`^  ${table} +${sqliteRows(source, table).length}$`, 'm'));
    expect(r.out).toContain(`audit chain ok on PostgreSQL: ${sqliteRows(source, 'audit').length} row(s) verified`);

    const pool = createPostgresPool(url, { maxConnections: 2 });
    try {
      for (const table of COPIED_TABLES) {
        const copied = (await pool.query(`SELECT * FROM ${table} ORDER BY ${PG_ORDER[table]}`)).rows;
        expect(copied, table).toEqual(sqliteRows(source, table));
        expect(copied.length, table).toBeGreaterThan(0);
      }
    } finally {
      await pool.end();
    }

    // The PostgreSQL store reads what the SQLite store wrote, and its chain is the same chain.
    const sqlite = new Store(openDb(source), { auditKey: TEST_AUDIT_KEY, auditHead: null });
    const pg = await openPostgresStore(url, { auditKey: TEST_AUDIT_KEY });
    try {
      const incidents = sqlite.db.prepare('SELECT id FROM incidents ORDER BY opened_at').pluck().all() as string[];
      expect(incidents).toHaveLength(2);
      for (const id of incidents) {
        expect(await pg.incidents.get(id)).toEqual(sqlite.incidents.get(id));
        expect(await pg.proposals.forIncident(id)).toEqual(sqlite.proposals.forIncident(id));
        expect(await pg.audit.forIncident(id)).toEqual(sqlite.audit.forIncident(id));
      }
      expect((await pg.proposals.forIncident(incidents[0]!))[0]!.state).toBe('verified');
      expect((await pg.outbox.heads()).map((m) => m.payload.text)).toEqual(['still to be sent']);

      const head = sqlite.audit.head();
      expect(await pg.auditHead()).toEqual(head);
      expect(await verifyPostgresAudit(pg.pool, TEST_AUDIT_KEY, { anchor: head })).toEqual({ ok: true, rows: head.rows, legacy: 0, keyed: head.rows, afterAnchor: 0 });

      // The bot on PostgreSQL appends after the copied head, and new ids follow the copied ones.
      const next = await pg.audit.append({ at: '2025-03-01T13:00:00.000Z', incidentId: incidents[0]!, proposalId: null, actor: 'U0ALICE', action: 'note', details: { text: 'after the move' } });
      expect(next).toMatchObject({ seq: head.seq + 1, prevHash: head.hash });
      expect(await pg.verifyAudit({ anchor: head })).toMatchObject({ ok: true, rows: head.rows + 1, afterAnchor: 1 });
      const maxOutbox = sqlite.db.prepare('SELECT max(id) FROM outbox').pluck().get() as number;
      expect(await pg.outbox.enqueue('post', { channelId: 'C0INCIDENT' }, { text: 'new' }, '2025-03-01T13:00:00.000Z')).toBe(maxOutbox + 1);
    } finally {
      sqlite.db.close();
      await pg.close();
    }
  });

  it('refuses a target that already holds rows, naming the tables, and writes nothing', async () => {
    const { schema, url } = await server.freshSchema();
    expect((await migrate(source, url)).code).toBe(0);
    const before = await count(schema, 'audit');
    const again = await migrate(source, url);
    expect(again.code).toBe(2);
    expect(again.err).toContain(`the target is not empty (database postgres, schema ${schema}): incidents: 2 row(s)`);
    expect(again.err).toContain(`audit: ${before} row(s)`);
    expect(await count(schema, 'audit')).toBe(before);
    expect(await count(schema, 'incidents')).toBe(2);
  });

  it('refuses a missing SQLite file (exit 2) without touching the target', async () => {
    const { schema, url } = await server.freshSchema();
    const r = await migrate(join(root, 'nowhere', 'backstop.db'), url);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no SQLite database at ${join(root, 'nowhere', 'backstop.db')}`);
    expect(Number((await server.query('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1', [schema])).rows[0].n)).toBe(0);
  });

  it('refuses a target it cannot reach, or that is not PostgreSQL (exit 2)', async () => {
    const closed = await migrate(source, 'postgres://postgres@127.0.0.1:1/postgres');
    expect(closed.code).toBe(2);
    expect(closed.err).toContain('cannot use the PostgreSQL target (--to)');
    const sqlite = await migrate(source, 'sqlite:///tmp/other.db');
    expect(sqlite.code).toBe(2);
    expect(sqlite.err).toContain('--to must be a PostgreSQL URL');
  });

  it('refuses without the audit key, or with a key other than the one that sealed the chain', async () => {
    const { url } = await server.freshSchema();
    const none = await backstop(['migrate-store', '--from', source, '--to', url], {});
    expect(none.code).toBe(2);
    expect(none.err).toContain('set BACKSTOP_AUDIT_KEY');
    const other = await migrate(source, url, { BACKSTOP_AUDIT_KEY: 'another-audit-key-0123456789abcdef0123456789' });
    expect(other.code).toBe(1);
    expect(other.err).toContain('the source audit chain does not verify, nothing was copied');
    expect(other.err).toContain(`this key is ${auditKey('another-audit-key-0123456789abcdef0123456789').id}`);
  });

  it('refuses a source chain that does not verify (exit 1) and copies nothing', async () => {
    const file = join(mkdtempSync(join(root, 'tampered-')), 'backstop.db');
    writeFileSync(file, new Database(source, { readonly: true }).serialize());
    const db = new Database(file);
    db.prepare("UPDATE audit SET details = '{\"text\":\"nothing happened\"}' WHERE seq = 2").run();
    db.close();
    const { schema, url } = await server.freshSchema();
    const r = await migrate(file, url);
    expect(r.code).toBe(1);
    expect(r.err).toContain('audit chain BROKEN at row 2');
    expect(Number((await server.query('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1', [schema])).rows[0].n)).toBe(0);
  });

  it('leaves the target empty when a row fails midway, so a second run after the fix succeeds', async () => {
    const file = join(mkdtempSync(join(root, 'bad-row-')), 'backstop.db');
    writeFileSync(file, new Database(source, { readonly: true }).serialize());
    copyFileSync(defaultHeadFile(source), defaultHeadFile(file));
    const db = new Database(file);
    // PostgreSQL text cannot hold NUL: measurements are copied after incidents, proposals and the audit trail.
    db.prepare("INSERT INTO measurements (service, sli, at, verdict, value, baseline, reason) VALUES ('fraud-scorer', 'accuracy', '2025-03-01T13:00:00.000Z', 'error', NULL, NULL, 'bad' || char(0) || 'byte')").run();
    db.close();
    const { schema, url } = await server.freshSchema();
    const r = await migrate(file, url);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the copy failed and was rolled back, nothing was written: measurements: invalid byte sequence');
    for (const table of COPIED_TABLES) expect(await count(schema, table), table).toBe(0);
    expect((await server.query(`SELECT rows, seq FROM ${schema}.audit_chain`)).rows[0]).toEqual({ rows: '0', seq: '0' });

    const fix = new Database(file);
    fix.prepare("DELETE FROM measurements WHERE reason LIKE 'bad%'").run();
    fix.close();
    const again = await migrate(file, url);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(await count(schema, 'incidents')).toBe(2);
  });
});
