import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { canonicalHeadText, type AuditHead } from '../domain/audit.js';
import { mac, sameHex, type AuditKey } from './audit-key.js';

/** Default anchor: beside the database, so a copied database can be checked with its head. */
export function defaultHeadFile(dbFile: string): string {
  return `${dbFile}.audit-head`;
}

const headSchema = z.object({
  v: z.literal(1),
  rows: z.number().int().min(0),
  seq: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string().nullable(),
  keyId: z.string().regex(/^[0-9a-f]{8}$/),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

export function signHead(key: AuditKey, head: Omit<AuditHead, 'mac' | 'keyId' | 'v'>): AuditHead {
  const unsigned = { v: 1 as const, ...head, keyId: key.id };
  return { ...unsigned, mac: mac(key, canonicalHeadText(unsigned)) };
}

export function headMacValid(key: AuditKey, head: AuditHead): boolean {
  const { mac: given, ...rest } = head;
  return sameHex(given, mac(key, canonicalHeadText(rest)));
}

export function formatHead(head: AuditHead): string {
  return JSON.stringify(head, null, 2);
}

/** Temp file then rename: a reader (or a crash) never sees half a head. */
export function writeHeadFile(file: string, head: AuditHead): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${formatHead(head)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

export type HeadRead = { ok: true; head: AuditHead } | { ok: false; problem: string };

/** Parses a head file; `problem` says why it is not one, for a message naming the file. */
export function readHeadFile(file: string): HeadRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, problem: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(e) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const r = headSchema.safeParse(json);
  if (!r.success) return { ok: false, problem: `not a Backstop audit head (${r.error.issues.map((i) => `${i.path.join('.') || 'head'}: ${i.message}`).join('; ')})` };
  return { ok: true, head: r.data };
}

/**
 * Moves aside a head the database no longer holds, rather than overwrite the evidence with
 * the next head. `backstop audit verify` reports such files until someone looks at them.
 */
export function keepStaleHead(file: string, now = new Date()): string {
  const kept = `${file}.stale-${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, kept);
  return kept;
}

export function staleHeadFiles(file: string): string[] {
  const prefix = `${basename(file)}.stale-`;
  try {
    return readdirSync(dirname(file)).filter((n) => n.startsWith(prefix)).sort().map((n) => join(dirname(file), n));
  } catch {
    return [];
  }
}
