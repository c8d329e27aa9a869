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


/**
 * A pooled connection for one unit of work. While it is checked out its errors (the server
 * closed it mid-transaction) are ours to catch, or the process would die of an unhandled
 * 'error' event; `done` gives it back, or closes it when it failed.
 */
export async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; done: (error?: unknown) => void }> {
  const client = await pool.connect();
  let failure: Error | undefined;
  const onError = (e: Error) => {
    failure ??= e;
  };
  client.on('error', onError);
  return {
    client,
    done: (error) => {
      client.off('error', onError);
      const broken = failure ?? (error === undefined ? undefined : error instanceof Error ? error : new Error(String(error)));
      client.release(broken);
    },
  };
}
