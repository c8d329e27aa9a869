import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createPostgresPool } from '../adapters/postgres/pool.js';
import { readAuditHead } from '../adapters/postgres/audit-trail.js';
import { verifyPostgresAudit } from '../adapters/postgres/audit-verify.js';
import { formatHead, readHeadFile } from '../store/audit-anchor.js';
import { auditKey, MIN_AUDIT_KEY_LENGTH } from '../store/audit-key.js';

type Out = (line: string) => void;

/**
 * `backstop audit verify|head` when the shared state is in PostgreSQL (BACKSTOP_DATABASE_URL):
 * the same checks as for SQLite, read from one consistent snapshot while the bot keeps appending.
 * Exit 0 ok, 1 broken, 2 cannot check.
 */
export async function auditPostgresCommand(args: readonly string[], env: { url: string; key: string | undefined; headFile: string | undefined }, out: Out, err: Out): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'verify' && verb !== 'head') {
    err('usage: backstop audit verify [--head FILE] | backstop audit head');
    return 2;
  }
  let headArg: string | undefined;
  try {
    headArg = (parseArgs({ args: [...rest], options: verb === 'verify' ? { head: { type: 'string' } } : {}, strict: true, allowPositionals: false }).values as { head?: string }).head;
  } catch (e) {
    err(`backstop audit ${verb}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  if (!env.key || env.key.length < MIN_AUDIT_KEY_LENGTH) {
    err(`no usable audit key: set BACKSTOP_AUDIT_KEY (at least ${MIN_AUDIT_KEY_LENGTH} characters) to the key the replicas run with`);
    return 2;
  }
  const key = auditKey(env.key);
  const anchorFile = headArg ?? env.headFile;
  let anchor;
  if (anchorFile) {
    if (!existsSync(anchorFile)) {
      err(headArg ? `no head file at ${anchorFile} (--head)` : `warning: no anchor at ${anchorFile} (BACKSTOP_AUDIT_HEAD)`);
      if (headArg) return 2;
    } else {
      const r = readHeadFile(anchorFile);
      if (!r.ok) {
        err(`anchor ${anchorFile}: ${r.problem}`);
        return headArg ? 2 : 1;
      }
      anchor = r.head;
    }
  } else {
    err('warning: no anchor given (--head FILE or BACKSTOP_AUDIT_HEAD): rows deleted from the end of the chain would go unnoticed');
  }
  const pool = createPostgresPool(env.url);
  try {
    let result;
    try {
      result = await verifyPostgresAudit(pool, key, anchor ? { anchor } : {});
    } catch (e) {
      err(`cannot read the audit trail from PostgreSQL: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    if (!result.ok) {
      const why = result.brokenAt === null ? `audit chain BROKEN: ${result.reason}` : `audit chain BROKEN at row ${result.brokenAt}: ${result.reason}`;
      err(verb === 'head' ? `refusing to print the head of a broken chain: ${why}` : why);
      return 1;
    }
    if (verb === 'head') {
      out(formatHead(await readAuditHead(pool, key)));
      return 0;
    }
    out(`audit chain ok: ${result.rows} row(s) verified in PostgreSQL (sealed with key ${key.id})`);
    if (anchor) out(`anchor ok: ${anchor.seq === 0 ? 'empty chain' : `row ${anchor.seq}`} matches ${anchorFile}${result.afterAnchor ? `; ${result.afterAnchor} row(s) after the anchor` : ''}`);
    return 0;
  } finally {
    await pool.end();
  }
}

/** From the synchronous dispatcher: the exit code lands in process.exitCode. */
export function runAuditPostgresCli(args: readonly string[], env: { url: string; key: string | undefined; headFile: string | undefined }, out: Out, err: Out): number {
  auditPostgresCommand(args, env, out, err).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      err(`audit crashed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 2;
    },
  );
  return 0;
}
