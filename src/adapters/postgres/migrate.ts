import type pg from 'pg';
import { lockForTransaction, schemaKey } from './locks.js';
import { pgMigrations, type PgMigration } from './migrations/index.js';
import { checkout } from './sql.js';

/**
 * Brings the schema up to date, one migration per transaction with its version row, so a crash
 * leaves the previous version intact. Replicas starting at once queue on an advisory lock; the
 * one that waited then finds the work done. Returns how many migrations this call applied.
 */
export async function migratePostgres(pool: pg.Pool, list: readonly PgMigration[] = pgMigrations): Promise<number> {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  const { key } = await schemaKey(pool);
  let count = 0;
  for (;;) {
    const { client, done } = await checkout(pool);
    let failed: unknown;
    try {
      await client.query('BEGIN');
      await lockForTransaction(client, 'migrate', key);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const applied = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r: { version: number }) => r.version));
      const next = sorted.find((m) => !applied.has(m.version));
      if (next) {
        await client.query(next.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [next.version, next.name, new Date().toISOString()]);
      }
      await client.query('COMMIT');
      if (!next) return count;
      count++;
    } catch (e) {
      failed = e;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      done(failed);
    }
  }
}
