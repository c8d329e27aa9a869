import pg from 'pg';

/** What a repository runs its statements on: the pool outside a transaction, the transaction's client inside. */
export interface Sql {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/** The rows of one statement. */
export async function rows(sql: Sql, text: string, values: unknown[] = []): Promise<unknown[]> {
  return (await sql.query(text, values)).rows as unknown[];
}

/** The first row of one statement, if any. */
export async function one(sql: Sql, text: string, values: unknown[] = []): Promise<Record<string, unknown> | undefined> {
  return (await sql.query(text, values)).rows[0] as Record<string, unknown> | undefined;
}

/** How many rows a statement changed. */
export async function changed(sql: Sql, text: string, values: unknown[] = []): Promise<number> {
  return (await sql.query(text, values)).rowCount ?? 0;
}

/**
 * bigint columns (ids, seqs, counts) as numbers, as the SQLite store answers: Backstop's ids stay
 * far below 2^53. Set per pool, so other users of `pg` in the process keep its defaults.
 */
export const numericTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** The SQLSTATE of a server error, if `e` is one. */
export function sqlState(e: unknown): string | undefined {
  return e instanceof pg.DatabaseError ? e.code : undefined;
}
