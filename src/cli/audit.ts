import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AuditHead } from '../domain/audit.js';
import { defaultHeadFile, formatHead, readHeadFile, staleHeadFiles } from '../store/audit-anchor.js';
import { auditKey, MIN_AUDIT_KEY_LENGTH, readKeyFile, sandboxKeyFile, type AuditKey } from '../store/audit-key.js';
import { AuditLog, type ChainCheck } from '../store/audit-log.js';
import { MissingDatabaseError, openExistingDb } from '../store/db.js';

export const AUDIT_USAGE = `usage:
  backstop audit verify [--head FILE]   check the audit trail (BACKSTOP_DB) with BACKSTOP_AUDIT_KEY:
                                        MACs, links, time order, and the anchored head
                                        (default: BACKSTOP_AUDIT_HEAD or <BACKSTOP_DB>.audit-head;
                                        --head: a head exported earlier)
  backstop audit head                   print the verified chain head as JSON, to keep elsewhere`;

const EXIT_OK = 0;
const EXIT_BROKEN = 1;
const EXIT_USAGE = 2;

export interface AuditCliDeps {
  dbFile: string;
  /** BACKSTOP_AUDIT_KEY as given (unvalidated: the CLI may run with an otherwise invalid env). */
  key: string | undefined;
  /** BACKSTOP_AUDIT_HEAD as given. */
  headFile: string | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
}

class Refusal extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

export function missingDbMessage(file: string, canCreate: boolean): string {
  return `no database at ${file} (BACKSTOP_DB); check the path${canCreate ? ', or pass --create to make a new one' : ''}`;
}

/** The bot's key, or the sandbox's key file beside the database; never a made-up one. */
function resolveKey(deps: AuditCliDeps): AuditKey {
  if (deps.key !== undefined && deps.key !== '') {
    if (deps.key.length < MIN_AUDIT_KEY_LENGTH) throw new Refusal(`BACKSTOP_AUDIT_KEY is shorter than ${MIN_AUDIT_KEY_LENGTH} characters: it cannot be the key the bot runs with`, EXIT_USAGE);
    return auditKey(deps.key);
  }
  const file = sandboxKeyFile(deps.dbFile);
  if (existsSync(file)) return auditKey(readKeyFile(file));
  throw new Refusal(`no audit key: set BACKSTOP_AUDIT_KEY to the key the bot runs with (a sandbox keeps it in ${file}); without it the chain cannot be checked`, EXIT_USAGE);
}

/** An anchor named with --head must be readable; the default one may be absent (with a warning). */
function loadAnchor(deps: AuditCliDeps, given: string | undefined): { head: AuditHead; file: string } | undefined {
  const file = given ?? deps.headFile ?? defaultHeadFile(deps.dbFile);
  if (!given && !existsSync(file)) {
    deps.err(`warning: no anchor at ${file}: rows deleted from the end of the chain would go unnoticed; pass --head FILE with a head exported by \`backstop audit head\``);
    return undefined;
  }
  const r = readHeadFile(file);
  if (!r.ok) {
    // A bad default anchor is a finding (the bot writes it atomically); a bad --head is a typo.
    throw new Refusal(`anchor ${file}: ${r.problem}`, given ? EXIT_USAGE : EXIT_BROKEN);
  }
  return { head: r.head, file };
}

function describe(r: Extract<ChainCheck, { ok: true }>, key: AuditKey): string {
  const parts = [r.legacy > 0 ? `${r.legacy} legacy unkeyed` : '', r.keyed > 0 ? `${r.keyed} sealed with key ${key.id}` : ''].filter(Boolean);
  return `audit chain ok: ${r.rows} row(s) verified${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function check(deps: AuditCliDeps, headArg: string | undefined): { log: AuditLog; result: ChainCheck; anchor?: { head: AuditHead; file: string }; key: AuditKey; close(): void } {
  let db;
  try {
    db = openExistingDb(deps.dbFile);
  } catch (e) {
    if (e instanceof MissingDatabaseError) throw new Refusal(missingDbMessage(deps.dbFile, false), EXIT_USAGE);
    throw e;
  }
  try {
    const key = resolveKey(deps);
    const anchor = loadAnchor(deps, headArg);
    const log = new AuditLog(db, { key });
    const result = log.verify({ anchor: anchor?.head });
    const opened = db;
    return { log, result, anchor, key, close: () => opened.close() };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Heads the bot moved aside because the database no longer held them (see AuditLog). */
function withStaleHeads(r: ChainCheck, deps: AuditCliDeps): ChainCheck {
  const stale = staleHeadFiles(deps.headFile ?? defaultHeadFile(deps.dbFile));
  if (!r.ok || stale.length === 0) return r;
  return { ok: false, rows: r.rows, brokenAt: null, reason: `the bot found that its previous head no longer matched the database and kept it as ${stale.join(', ')}; see why with --head ${stale[0]}` };
}

function broken(r: Extract<ChainCheck, { ok: false }>): string {
  return r.brokenAt === null ? `audit chain BROKEN: ${r.reason}` : `audit chain BROKEN at row ${r.brokenAt}: ${r.reason}`;
}

/** `backstop audit verify|head`. Exit 0 ok, 1 broken, 2 usage, missing database or key. */
export function runAuditCommand(args: string[], deps: AuditCliDeps): number {
  const [verb, ...rest] = args;
  if (verb !== 'verify' && verb !== 'head') {
    deps.err(AUDIT_USAGE);
    return EXIT_USAGE;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: verb === 'verify' ? { head: { type: 'string' } } : {}, strict: true, allowPositionals: false });
  } catch (e) {
    deps.err(`backstop audit ${verb}: ${e instanceof Error ? e.message : String(e)}`);
    deps.err(AUDIT_USAGE);
    return EXIT_USAGE;
  }
  const headArg = (parsed.values as { head?: string }).head;
  let c;
  try {
    if (headArg !== undefined && !existsSync(headArg)) throw new Refusal(`no head file at ${headArg} (--head)`, EXIT_USAGE);
    c = check(deps, headArg);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    deps.err(e.message);
    return e.code;
  }
  try {
    const r = withStaleHeads(c.result, deps);
    if (!r.ok) {
      deps.err(verb === 'head' ? `refusing to print the head of a broken chain: ${broken(r)}` : broken(r));
      return EXIT_BROKEN;
    }
    if (verb === 'head') {
      deps.out(formatHead(c.log.head()));
      return EXIT_OK;
    }
    deps.out(describe(r, c.key));
    if (c.anchor) {
      const a = c.anchor.head;
      deps.out(`anchor ok: ${a.seq === 0 ? 'empty chain' : `row ${a.seq}`} matches ${c.anchor.file}${r.afterAnchor ? `; ${r.afterAnchor} row(s) after the anchor` : ''}`);
    }
    if (r.rows > 0 && r.keyed === 0) deps.err(`warning: no row is sealed with a key yet: anyone who can write the database could rewrite this chain unseen`);
    return EXIT_OK;
  } finally {
    c.close();
  }
}
