/**
 * `npx backstop audit verify|head` as an operator runs them, against databases written by the
 * real store and then tampered with the way someone holding only the file could.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultHeadFile, readHeadFile } from '../../src/store/audit-anchor.js';
import { auditKey, sandboxKeyFile } from '../../src/store/audit-key.js';
import { hashEntry, macEntry } from '../../src/store/audit-log.js';
import { openDb, type Db } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { rechain } from '../support/audit-forger.js';
import { backstop } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'backstop-audit-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A database with `rows` audit rows written by the bot's store, its anchor beside it. */
function botDb(rows = 3): string {
  const file = join(mkdtempSync(join(root, 'db-')), 'backstop.db');
  const store = new Store(openDb(file), { auditKey: TEST_AUDIT_KEY });
  for (let i = 0; i < rows; i++) {
    store.tx(() => store.audit.append({ at: `2025-03-01T12:0${i}:00.000Z`, incidentId: 'inc-1', proposalId: 'rb-1', actor: 'U0ALICE', action: `step.${i}`, details: { text: `step ${i}` } }));
  }
  store.db.close();
  return file;
}

function tamper(file: string, fn: (db: Db) => void): void {
  const db = openDb(file);
  fn(db);
  db.close();
}

const verify = (file: string, extra: Record<string, string> = {}, ...args: string[]) =>
  backstop(['audit', 'verify', ...args], { BACKSTOP_DB: file, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY, ...extra });

describe('npx backstop audit verify', () => {
  it('exits 0 on an intact chain and says the anchor matches', () => {
    const file = botDb(3);
    const r = verify(file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`audit chain ok: 3 row(s) verified (3 sealed with key ${auditKey(TEST_AUDIT_KEY).id})`);
    expect(r.out).toContain(`anchor ok: row 3 matches ${defaultHeadFile(file)}`);
  });

  it('exits 1 naming the missing rows when the last row is deleted', () => {
    const file = botDb(3);
    tamper(file, (db) => db.prepare('DELETE FROM audit WHERE seq = 3').run());
    const r = verify(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('audit chain BROKEN at row 3: 1 row(s) missing from the end: the chain ends at row 2 but the anchor records 3 row(s) up to row 3');
  });

  it('exits 1 when a row is edited and the plain SHA-256 chain recomputed after it', () => {
    const file = botDb(3);
    tamper(file, (db) => {
      db.prepare("UPDATE audit SET actor = 'U0MALLORY' WHERE seq = 2").run();
      rechain(db, 2, hashEntry);
    });
    const r = verify(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('audit chain BROKEN at row 2: row 2 was changed after it was written (its MAC does not match)');
  });

  it('exits 1 when the chain is recomputed with another key', () => {
    const file = botDb(3);
    const forged = auditKey('a-key-that-is-not-the-bots-0123456789abcdef');
    tamper(file, (db) => {
      db.prepare("UPDATE audit SET details = '{\"text\":\"nothing happened\"}' WHERE seq = 1").run();
      rechain(db, 1, (e) => macEntry(forged, e));
    });
    const r = verify(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('row 1 was changed after it was written (its MAC does not match)');
    // And verifying with the wrong key is reported as that, not as tampering.
    const wrong = verify(botDb(1), { BACKSTOP_AUDIT_KEY: 'a-key-that-is-not-the-bots-0123456789abcdef' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`row 1 was sealed with another key (key id ${auditKey(TEST_AUDIT_KEY).id}; this key is ${forged.id})`);
  });

  it('exits 2 on a missing database and does not create it', () => {
    const dir = mkdtempSync(join(root, 'missing-'));
    const file = join(dir, 'backstop.dbb');
    const r = verify(file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no database at ${file} (BACKSTOP_DB); check the path`);
    expect(r.out).toBe('');
    expect(readdirSync(dir)).toEqual([]);
    expect(backstop(['audit', 'head'], { BACKSTOP_DB: file, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY }).code).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exits 2 without the key, and uses the sandbox key file beside the database when there is one', () => {
    const file = botDb(2);
    const r = backstop(['audit', 'verify'], { BACKSTOP_DB: file });
    expect(r.code).toBe(2);
    expect(r.err).toContain('no audit key: set BACKSTOP_AUDIT_KEY');
    expect(backstop(['audit', 'verify'], { BACKSTOP_DB: file, BACKSTOP_AUDIT_KEY: 'too-short' }).code).toBe(2);
    writeFileSync(sandboxKeyFile(file), `${TEST_AUDIT_KEY}\n`, { mode: 0o600 });
    expect(backstop(['audit', 'verify'], { BACKSTOP_DB: file }).code).toBe(0);
  });

  it('warns, and still checks the rows, when there is no anchor', () => {
    const file = botDb(2);
    rmSync(defaultHeadFile(file));
    const r = verify(file);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: no anchor at ${defaultHeadFile(file)}: rows deleted from the end of the chain would go unnoticed`);
    expect(verify(file, {}, '--head', join(root, 'nope.json')).code).toBe(2);
  });

  it('checks an exported head with --head and reports rows written after it', () => {
    const file = botDb(2);
    const head = backstop(['audit', 'head'], { BACKSTOP_DB: file, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY });
    expect(head.code).toBe(0);
    const exported = join(mkdtempSync(join(root, 'export-')), 'head.json');
    writeFileSync(exported, head.out);
    expect(JSON.parse(head.out)).toEqual((readHeadFile(defaultHeadFile(file)) as { head: unknown }).head);

    const store = new Store(openDb(file), { auditKey: TEST_AUDIT_KEY });
    store.tx(() => store.audit.append({ at: '2025-03-01T13:00:00.000Z', incidentId: 'inc-1', proposalId: null, actor: 'backstop', action: 'incident.resolved', details: {} }));
    store.db.close();
    const r = verify(file, {}, '--head', exported);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`anchor ok: row 2 matches ${exported}; 1 row(s) after the anchor`);

    tamper(file, (db) => db.prepare('DELETE FROM audit WHERE seq >= 2').run());
    expect(verify(file, {}, '--head', exported)).toMatchObject({ code: 1, err: expect.stringContaining('1 row(s) missing from the end') });
  });

  it('exits 1 when the bot had to keep aside a head the database no longer held', () => {
    const file = botDb(3);
    tamper(file, (db) => db.prepare('DELETE FROM audit WHERE seq = 3').run());
    const restarted = new Store(openDb(file), { auditKey: TEST_AUDIT_KEY, onAuditHeadError: () => {} });
    restarted.tx(() => restarted.audit.append({ at: '2025-03-01T13:00:00.000Z', incidentId: null, proposalId: null, actor: 'backstop', action: 'started', details: {} }));
    restarted.db.close();
    const r = verify(file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit chain BROKEN: the bot found that its previous head no longer matched the database and kept it as .*backstop\.db\.audit-head\.stale-/);
    const [kept] = readdirSync(dirname(file)).filter((f) => f.includes('.stale-'));
    expect(verify(file, {}, '--head', join(dirname(file), kept!)).err).toContain('row 3, the anchored head, is missing');
  });

  it('refuses to print the head of a broken chain', () => {
    const file = botDb(2);
    tamper(file, (db) => db.prepare("UPDATE audit SET action = 'x' WHERE seq = 1").run());
    const r = backstop(['audit', 'head'], { BACKSTOP_DB: file, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('refusing to print the head of a broken chain');
    expect(existsSync(file)).toBe(true);
  });
});
