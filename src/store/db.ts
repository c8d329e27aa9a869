import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrations, type Migration } from './migrations/index.js';

export type Db = Database.Database;

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement, compiled once per database and reused: preparing costs more than
 * running most of Backstop's queries, and the intake path runs several per alert.
 */
export function prep(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}

/**
 * Opens the database in WAL mode and brings the schema up to date. Each migration runs
 * in its own transaction with its version row, so a crash mid-migration leaves the
 * previous version intact.
 */
export function openDb(file: string, list: readonly Migration[] = migrations, opts: { mustExist?: boolean } = {}): Db {
  const db = new Database(file, { fileMustExist: opts.mustExist ?? false });
  if (file !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  migrate(db, list);
  return db;
}

/** The database file an operator command was pointed at is not there. */
export class MissingDatabaseError extends Error {
  constructor(readonly file: string) {
    super(`no database at ${file}`);
  }
}

/**
 * For operator commands: a mistyped BACKSTOP_DB must not quietly become a new, empty database
 * (an audit check of it would pass; a registry write would seed the wrong file).
 */
export function openExistingDb(file: string): Db {
  if (file !== ':memory:' && !existsSync(file)) throw new MissingDatabaseError(file);
  return openDb(file, migrations, { mustExist: true });
}

export function migrate(db: Db, list: readonly Migration[]): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  let count = 0;
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    }).immediate();
    count++;
  }
  return count;
}
