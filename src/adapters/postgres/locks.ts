import type { Sql } from './sql.js';

/**
 * Advisory lock keys (two-int form): a Backstop namespace, then the schema, so two Backstops
 * sharing one database in different schemas never wait on each other.
 */
const NAMESPACE = { write: 0x42535401, migrate: 0x42535402 } as const;

export type LockName = keyof typeof NAMESPACE;

/** The schema this connection writes to, and its lock key; refuses a search_path naming no schema. */
export async function schemaKey(sql: Sql): Promise<{ schema: string; key: number }> {
  const r = (await sql.query('SELECT current_schema() AS schema, hashtext(current_schema()) AS key')).rows[0] as { schema: string | null; key: number | null };
  if (r.schema === null || r.key === null) throw new Error('PostgreSQL: the search_path names no existing schema (create it, or fix options=-c search_path=… in BACKSTOP_DATABASE_URL)');
  return { schema: r.schema, key: r.key };
}

/** Held until the transaction ends (commit or rollback), on any replica. */
export async function lockForTransaction(sql: Sql, name: LockName, schemaKey: number): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock($1, $2)', [NAMESPACE[name], schemaKey]);
}
