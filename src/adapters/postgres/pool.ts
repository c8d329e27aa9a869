import pg from 'pg';
import { numericTypes } from './sql.js';

export interface PoolOptions {
  /** Connections in the pool (default 10): one for the transaction in turn, the rest for reads. */
  maxConnections?: number;
  /**
   * A session idle inside a transaction this long is ended by the server (default 60 s), so a
   * replica that froze mid-transaction cannot hold the write lock for ever.
   */
  idleInTransactionTimeoutMs?: number;
  /** An idle pooled connection failed (server restart, network): default a process warning. */
  onConnectionError?: (error: Error) => void;
}

/**
 * A pool on `url` (postgres://user:password@host:5432/db, libpq query options such as
 * sslmode=require, and options=-c search_path=… for a schema of its own) that reads rows as the
 * store's mappers expect. The store makes its own; operator commands (audit verify) use this.
 */
export function createPostgresPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 10,
    types: numericTypes,
    application_name: 'backstop',
    idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 60_000,
  });
  pool.on('error', (e) => (opts.onConnectionError ? opts.onConnectionError(e) : process.emitWarning(`PostgreSQL connection: ${e.message}`)));
  return pool;
}

/** Refuses a database that cannot hold every string Backstop writes. */
export async function checkEncoding(pool: pg.Pool): Promise<void> {
  const { server_encoding: encoding } = (await pool.query('SHOW server_encoding')).rows[0] as { server_encoding: string };
  if (encoding !== 'UTF8') throw new Error(`PostgreSQL: the database's encoding is ${encoding}; Backstop needs UTF8 (CREATE DATABASE … ENCODING 'UTF8')`);
}
