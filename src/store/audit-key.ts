import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Shorter keys can be guessed offline from the chain itself. */
export const MIN_AUDIT_KEY_LENGTH = 32;

/**
 * The secret that seals audit rows. It is never stored in the database: whoever can write the
 * database but not read the key cannot forge a row that verifies.
 */
export interface AuditKey {
  readonly secret: string;
  /** First 8 hex of sha256(secret): stored per row to say "written with another key", reveals nothing. */
  readonly id: string;
}

export function auditKey(secret: string): AuditKey {
  if (secret.length < MIN_AUDIT_KEY_LENGTH) {
    throw new Error(`the audit key must be at least ${MIN_AUDIT_KEY_LENGTH} characters (make one with: openssl rand -hex 32)`);
  }
  return { secret, id: createHash('sha256').update(secret).digest('hex').slice(0, 8) };
}

export function mac(key: AuditKey, text: string): string {
  return createHmac('sha256', key.secret).update(text).digest('hex');
}

export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Where the sandbox keeps its generated key: beside the database, like its anchor. */
export function sandboxKeyFile(dbFile: string): string {
  return `${dbFile}.audit-key`;
}

export function readKeyFile(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

/**
 * The sandbox's key: made on first start (readable by the owner only) and reused after, so
 * the chain a sandbox wrote still verifies after a restart.
 */
export function loadOrCreateKeyFile(file: string): { secret: string; created: boolean } {
  if (existsSync(file)) return { secret: readKeyFile(file), created: false };
  const secret = randomBytes(32).toString('hex');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process made it between the check and the write: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { secret: readKeyFile(file), created: false };
    throw e;
  }
  return { secret, created: true };
}
