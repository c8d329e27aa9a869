/**
 * `backstop migrate-store --from FILE --to URL`: moves the shared state of a SQLite database
 * (what several replicas must agree on) into an empty PostgreSQL schema, so a bot that ran on
 * one SQLite file can go on as replicas sharing PostgreSQL.
 *
 * Copied, row for row and column for column (the PostgreSQL tables keep SQLite's columns):
 * incidents, alerts, proposals, executions, the audit trail (seq, at, details, prev_hash, hash,
 * scheme and key_id as stored, so the chain verifies with the same key), the outbox (sent and
 * unsent, ids kept: a stream's order is its ids), deploys, measurements and the replay guard.
 * Not copied: what stays with each replica's SQLite file (the embedded registry, the target
 * ledger, drill reports) and leases (live state: the new replicas take their own).
 *
 * Safety: the source chain must verify (with its anchor when there is one) before anything is
 * written; the target must hold no Backstop rows; everything is written in one PostgreSQL
 * transaction, checked inside it (row counts, the chain re-verified as stored, the chain head),
 * so any failure leaves the target as empty as it was. After the commit the copy is verified
 * again with `verifyPostgresAudit`, against the source's head.
 *
 * Exit codes: 0 copied and verified; 1 the source chain does not verify, or the copy failed (and
 * was rolled back); 2 refused before anything was written (usage, no such file, no key, a target
 * that is not empty or cannot be reached).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { readAuditHead } from '../adapters/postgres/audit-trail.js';
import { verifyPostgresAudit } from '../adapters/postgres/audit-verify.js';
import { lockForTransaction, schemaKey } from '../adapters/postgres/locks.js';
import { migratePostgres } from '../adapters/postgres/migrate.js';
import { checkEncoding, createPostgresPool } from '../adapters/postgres/pool.js';
import { checkout, one, rows, type Sql } from '../adapters/postgres/sql.js';
import type { AuditHead } from '../domain/audit.js';
import { defaultHeadFile, readHeadFile, staleHeadFiles } from '../store/audit-anchor.js';
import { ChainVerifier, toSealedAuditEntry, type ChainCheck } from '../store/audit-chain.js';
import { auditKey, MIN_AUDIT_KEY_LENGTH, type AuditKey } from '../store/audit-key.js';
import { AuditLog } from '../store/audit-log.js';
import { MissingDatabaseError, openExistingDb, type Db } from '../store/db.js';

export const MIGRATE_STORE_USAGE = `usage:
  backstop migrate-store --from FILE [--to URL] [--head FILE]
      copy the shared state of the SQLite database FILE (incidents, alerts, proposals, executions,
      audit trail, outbox, deploys, measurements, replay guard) into an EMPTY PostgreSQL schema,
      in one transaction, then verify the copied audit chain with BACKSTOP_AUDIT_KEY.
      Stop the bot first: rows it writes meanwhile would not be copied.
  --to URL     postgres://user:password@host:5432/db (default: BACKSTOP_DATABASE_URL, which keeps
               the password off the command line)
  --head FILE  the source chain's anchor (default: FILE.audit-head, checked when it exists)
  exit 0 copied and verified; 1 the source chain is broken or the copy failed (nothing written);
  2 refused (usage, no such file, no key, the target is not empty or cannot be reached)`;

const EXIT_OK = 0;
const EXIT_BROKEN = 1;
const EXIT_REFUSED = 2;

/** In the order they are written: a row's foreign keys are copied before it. */
export const COPIED_TABLES = ['incidents', 'alerts', 'proposals', 'executions', 'audit', 'outbox', 'deploys', 'measurements', 'seen_requests'] as const;

type Out = (line: string) => void;

class Refusal extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** `backstop migrate-store …` from the synchronous dispatcher: the exit code lands in process.exitCode. */
export function runMigrateStoreCli(args: readonly string[], env: Record<string, string | undefined>, out: Out, err: Out): number {
  migrateStoreCommand(args, env, out, err).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      err(`migrate-store crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      process.exitCode = EXIT_BROKEN;
    },
  );
  return EXIT_OK;
}

interface Options {
  from: string;
  to: string;
  head: string | undefined;
  key: AuditKey;
}

function options(args: readonly string[], env: Record<string, string | undefined>): Options {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { from: { type: 'string' }, to: { type: 'string' }, head: { type: 'string' } }, strict: true, allowPositionals: false });
  } catch (e) {
    throw new Refusal(`backstop migrate-store: ${e instanceof Error ? e.message : String(e)}\n${MIGRATE_STORE_USAGE}`, EXIT_REFUSED);
  }
  const { from, head } = parsed.values;
  const to = parsed.values.to ?? (env.BACKSTOP_DATABASE_URL || undefined);
  if (!from) throw new Refusal(`backstop migrate-store: --from FILE (the SQLite database) is required\n${MIGRATE_STORE_USAGE}`, EXIT_REFUSED);
  if (!to) throw new Refusal(`backstop migrate-store: --to URL (or BACKSTOP_DATABASE_URL) is required\n${MIGRATE_STORE_USAGE}`, EXIT_REFUSED);
  if (!/^postgres(ql)?:\/\//.test(to)) throw new Refusal('backstop migrate-store: --to must be a PostgreSQL URL such as postgres://backstop:…@db:5432/backstop', EXIT_REFUSED);
  const secret = env.BACKSTOP_AUDIT_KEY;
  if (!secret) throw new Refusal('no audit key: set BACKSTOP_AUDIT_KEY to the key the bot runs with; without it neither the source chain nor the copy can be checked', EXIT_REFUSED);
  if (secret.length < MIN_AUDIT_KEY_LENGTH) throw new Refusal(`BACKSTOP_AUDIT_KEY is shorter than ${MIN_AUDIT_KEY_LENGTH} characters: it cannot be the key the bot runs with`, EXIT_REFUSED);
  if (head !== undefined && !existsSync(head)) throw new Refusal(`no head file at ${head} (--head)`, EXIT_REFUSED);
  return { from, to, head, key: auditKey(secret) };
}

/** The whole command; resolves to the exit code. */
export async function migrateStoreCommand(args: readonly string[], env: Record<string, string | undefined>, out: Out, err: Out): Promise<number> {
  let db: Db | undefined;
  let pool: pg.Pool | undefined;
  try {
    const opts = options(args, env);
    db = openSource(opts.from);
    // One read transaction: the chain checked and the rows copied are the same snapshot.
    db.exec('BEGIN');
    const source = checkSource(db, opts, err);
    pool = await connect(opts.to);
    const copied = await copyAll(db, pool, opts.key, source.head);
    db.exec('ROLLBACK');
    report(out, opts, copied);
    const check = await verifyPostgresAudit(pool, opts.key, { anchor: source.head });
    if (!check.ok) {
      err(`the copy was committed but its audit chain does not verify on PostgreSQL: ${broken(check)}`);
      return EXIT_BROKEN;
    }
    out(`audit chain ok on PostgreSQL: ${describe(check, opts.key)}; its head is row ${source.head.seq}, as in ${opts.from}`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof Refusal) {
      err(e.message);
      return e.code;
    }
    throw e;
  } finally {
    if (db?.inTransaction) db.exec('ROLLBACK');
    db?.close();
    await pool?.end();
  }
}

function openSource(file: string): Db {
  try {
    return openExistingDb(file);
  } catch (e) {
    if (e instanceof MissingDatabaseError) throw new Refusal(`no SQLite database at ${file} (--from); check the path`, EXIT_REFUSED);
    throw new Refusal(`${file} (--from) cannot be opened as a Backstop SQLite database: ${e instanceof Error ? e.message : String(e)}`, EXIT_REFUSED);
  }
}

/** The source chain must verify, against its anchor when there is one; returns its sealed head. */
function checkSource(db: Db, opts: Options, err: Out): { head: AuditHead } {
  const log = new AuditLog(db, { key: opts.key, headFile: null });
  const anchorFile = opts.head ?? defaultHeadFile(opts.from);
  let anchor: AuditHead | undefined;
  if (existsSync(anchorFile)) {
    const r = readHeadFile(anchorFile);
    if (!r.ok) throw new Refusal(`anchor ${anchorFile}: ${r.problem}`, opts.head ? EXIT_REFUSED : EXIT_BROKEN);
    anchor = r.head;
  } else {
    err(`warning: no anchor at ${anchorFile}: rows deleted from the end of the source chain would go unnoticed; pass --head FILE with a head exported by \`backstop audit head\``);
  }
  const r = log.verify({ anchor });
  if (!r.ok) throw new Refusal(`the source audit chain does not verify, nothing was copied: ${broken(r)}`, EXIT_BROKEN);
  const stale = opts.head ? [] : staleHeadFiles(anchorFile);
  if (stale.length > 0) {
    throw new Refusal(`the bot found that an earlier head no longer matched ${opts.from} and kept it as ${stale.join(', ')}; find out why (backstop audit verify --head ${stale[0]}) before moving this chain, nothing was copied`, EXIT_BROKEN);
  }
  if (r.rows > 0 && r.keyed === 0) err('warning: no row of the source chain is sealed with a key yet: the copy verifies only as far as an unkeyed chain can');
  return { head: log.head() };
}

async function connect(url: string): Promise<pg.Pool> {
  const pool = createPostgresPool(url, { maxConnections: 2, onConnectionError: () => undefined });
  try {
    await checkEncoding(pool);
    await migratePostgres(pool);
    return pool;
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Refusal(`cannot use the PostgreSQL target (--to): ${e instanceof Error ? e.message : String(e)}`, EXIT_REFUSED);
  }
}

interface Copied {
  database: string;
  schema: string;
  counts: Map<string, number>;
}

/** One transaction: refuse a non-empty target, copy, check the copy, commit. */
async function copyAll(db: Db, pool: pg.Pool, key: AuditKey, head: AuditHead): Promise<Copied> {
  const { client, done } = await checkout(pool);
  let failure: unknown;
  try {
    await client.query('BEGIN');
    const { schema, key: lockKey } = await schemaKey(client);
    const database = String((await one(client, 'SELECT current_database() AS db'))?.db);
    // A bot started against the target meanwhile waits for this transaction, as for any writer.
    await lockForTransaction(client, 'write', lockKey);
    await client.query(`LOCK TABLE ${COPIED_TABLES.map(ident).join(', ')}, audit_chain IN EXCLUSIVE MODE`);
    await refuseNonEmpty(client, schema, database);
    const counts = new Map<string, number>();
    try {
      for (const table of COPIED_TABLES) {
        const plan = await planTable(db, client, table);
        counts.set(table, await copyTable(db, client, plan).catch((e: unknown) => {
          throw new Error(`${table}: ${e instanceof Error ? e.message : String(e)}`);
        }));
      }
      await setChainHead(client, head);
      await checkCopy(client, key, head, counts);
    } catch (e) {
      if (e instanceof Refusal) throw e;
      throw new Refusal(`the copy failed and was rolled back, nothing was written: ${e instanceof Error ? e.message : String(e)}`, EXIT_BROKEN);
    }
    await client.query('COMMIT');
    return { database, schema, counts };
  } catch (e) {
    await client.query('ROLLBACK').catch((x: unknown) => (failure = x));
    throw e;
  } finally {
    done(failure);
  }
}

async function refuseNonEmpty(sql: Sql, schema: string, database: string): Promise<void> {
  const held: string[] = [];
  for (const table of COPIED_TABLES) {
    const n = Number((await one(sql, `SELECT count(*) AS n FROM ${ident(table)}`))?.n ?? 0);
    if (n > 0) held.push(`${table}: ${n} row(s)`);
  }
  const chain = await one(sql, 'SELECT rows, seq FROM audit_chain WHERE id');
  if (Number(chain?.rows ?? 0) > 0 || Number(chain?.seq ?? 0) > 0) held.push(`audit_chain: head at row ${Number(chain?.seq)}`);
  if (held.length > 0) {
    throw new Refusal(`the target is not empty (database ${database}, schema ${schema}): ${held.join(', ')}; migrate-store only fills an empty schema, so nothing was copied (point --to at a new database or schema)`, EXIT_REFUSED);
  }
}

/** Where each PostgreSQL column of a table takes its value from in SQLite. */
interface TablePlan {
  table: string;
  columns: { target: string; source: string }[];
  /** Identity columns written explicitly, restarted past the copied values afterwards. */
  identity: string[];
}

/** SQLite's rowid, for PostgreSQL identity columns SQLite has no column for (alerts.seq). */
const ROWID = '__backstop_rowid';

async function planTable(db: Db, sql: Sql, table: string): Promise<TablePlan> {
  const sqliteColumns = new Set(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]);
  const pgColumns = (await rows(sql, `SELECT column_name AS name, is_identity = 'YES' AS identity, is_nullable = 'YES' AS nullable, column_default IS NOT NULL AS defaulted
      FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, [table])) as { name: string; identity: boolean; nullable: boolean; defaulted: boolean }[];
  if (sqliteColumns.size === 0) throw new Refusal(`the SQLite database has no ${table} table: it is not a Backstop database`, EXIT_REFUSED);
  const names = new Set(pgColumns.map((c) => c.name));
  const lost = [...sqliteColumns].filter((c) => !names.has(c));
  if (lost.length > 0) {
    throw new Refusal(`the PostgreSQL ${table} table has no column for ${lost.map((c) => `${table}.${c}`).join(', ')}: the target's schema is older than the source's (upgrade Backstop), nothing was copied`, EXIT_REFUSED);
  }
  const columns: TablePlan['columns'] = [];
  const identity: string[] = [];
  for (const c of pgColumns) {
    const source = sqliteColumns.has(c.name) ? c.name : c.identity ? ROWID : undefined;
    if (source === undefined) {
      if (c.nullable || c.defaulted) continue;
      throw new Refusal(`the PostgreSQL column ${table}.${c.name} needs a value the SQLite database does not have: the source's schema is older than the target's, nothing was copied`, EXIT_REFUSED);
    }
    columns.push({ target: c.name, source });
    if (c.identity) identity.push(c.name);
  }
  return { table, columns, identity };
}

/** Parameters per INSERT stay well below PostgreSQL's 65535. */
const MAX_PARAMS = 30_000;
const MAX_ROWS = 500;

async function copyTable(db: Db, sql: Sql, plan: TablePlan): Promise<number> {
  const { table, columns } = plan;
  const select = db.prepare(`SELECT rowid AS ${ROWID}, * FROM ${ident(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  const perBatch = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / columns.length)));
  const head = `INSERT INTO ${ident(table)} (${columns.map((c) => ident(c.target)).join(', ')})${plan.identity.length > 0 ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES `;
  let copied = 0;
  for (let after = Number.MIN_SAFE_INTEGER; ;) {
    const batch = select.all(after, perBatch) as Record<string, unknown>[];
    if (batch.length === 0) break;
    const values: unknown[] = [];
    const tuples = batch.map((r) => `(${columns.map((c) => {
      const v = r[c.source];
      if (Buffer.isBuffer(v)) throw new Error(`${c.source} of row ${String(r[ROWID])} holds binary data, which Backstop never writes there`);
      values.push(v);
      return `$${values.length}`;
    }).join(', ')})`);
    await sql.query(head + tuples.join(', '), values);
    copied += batch.length;
    after = batch[batch.length - 1]![ROWID] as number;
    if (batch.length < perBatch) break;
  }
  // Rows the bot inserts next must not collide with the copied ids.
  for (const column of plan.identity) {
    const max = Number((await one(sql, `SELECT coalesce(max(${ident(column)}), 0) AS m FROM ${ident(table)}`))?.m ?? 0);
    if (max > 0) await sql.query(`ALTER TABLE ${ident(table)} ALTER COLUMN ${ident(column)} RESTART WITH ${Math.trunc(max) + 1}`);
  }
  return copied;
}

/** The chain head row, where PostgreSQL appenders chain from: the last copied row. */
async function setChainHead(sql: Sql, head: AuditHead): Promise<void> {
  const r = await sql.query('UPDATE audit_chain SET rows = $1, seq = $2, hash = $3, at = $4 WHERE id', [head.rows, head.seq, head.hash, head.at]);
  if (r.rowCount !== 1) throw new Error('the audit_chain row is missing: the PostgreSQL schema was altered outside Backstop');
}

/** Inside the transaction, before COMMIT: what was written is what was read. */
async function checkCopy(sql: Sql, key: AuditKey, head: AuditHead, counts: Map<string, number>): Promise<void> {
  for (const [table, n] of counts) {
    const found = Number((await one(sql, `SELECT count(*) AS n FROM ${ident(table)}`))?.n ?? 0);
    if (found !== n) throw new Error(`${table}: ${n} row(s) copied but ${found} found`);
  }
  const chain = new ChainVerifier(key);
  for (let after = 0; ;) {
    const batch = await rows(sql, 'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT 1000', [after]);
    for (const r of batch) {
      const b = chain.push(toSealedAuditEntry(r));
      if (b) throw new Error(`the copied audit chain does not verify: ${broken(b)}`);
    }
    if (batch.length < 1000) break;
    after = Number((batch[batch.length - 1] as { seq: number }).seq);
  }
  const copiedHead = await readAuditHead(sql, key);
  if (copiedHead.mac !== head.mac) throw new Error(`the PostgreSQL chain head (row ${copiedHead.seq}, ${copiedHead.rows} row(s)) is not the source's (row ${head.seq}, ${head.rows} row(s))`);
}

function report(out: Out, opts: Options, c: Copied): void {
  out(`copied ${opts.from} into PostgreSQL (database ${c.database}, schema ${c.schema}), in one transaction:`);
  const width = Math.max(...COPIED_TABLES.map((t) => t.length));
  for (const [table, n] of c.counts) out(`  ${table.padEnd(width)}  ${n}`);
  out('not copied, they stay with each replica\'s SQLite file: the embedded registry, the target ledger, drill reports; leases are not copied either (the replicas take their own)');
}

function describe(r: Extract<ChainCheck, { ok: true }>, key: AuditKey): string {
  const parts = [r.legacy > 0 ? `${r.legacy} legacy unkeyed` : '', r.keyed > 0 ? `${r.keyed} sealed with key ${key.id}` : ''].filter(Boolean);
  return `${r.rows} row(s) verified${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function broken(r: Extract<ChainCheck, { ok: false }>): string {
  return r.brokenAt === null ? `audit chain BROKEN: ${r.reason}` : `audit chain BROKEN at row ${r.brokenAt}: ${r.reason}`;
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
