import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, type AuditHead } from '../../src/domain/audit.js';
import { defaultHeadFile, readHeadFile, staleHeadFiles } from '../../src/store/audit-anchor.js';
import { auditKey } from '../../src/store/audit-key.js';
import { hashEntry, macEntry, type AuditInput } from '../../src/store/audit-log.js';
import { openDb } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { rechain } from '../support/audit-forger.js';

const OTHER_KEY = 'another-audit-key-fedcba9876543210fedcba9876543210';

const step = (i: number, at = `2025-03-01T12:0${i}:00.000Z`): AuditInput => ({ at, incidentId: 'inc-1', proposalId: null, actor: 'alice', action: `step.${i}`, details: { i } });

function fileStore(opts: { auditHead?: string | null } = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'backstop-audit-')), 'b.db');
  const store = new Store(openDb(file), { auditKey: TEST_AUDIT_KEY, ...opts });
  return { store, file, anchor: () => anchorOf(file) };
}

function anchorOf(dbFile: string): AuditHead {
  const r = readHeadFile(defaultHeadFile(dbFile));
  if (!r.ok) throw new Error(r.problem);
  return r.head;
}

function appendSteps(store: Store, n: number): void {
  for (let i = 0; i < n; i++) store.tx(() => store.audit.append(step(i)));
}

describe('keyed audit chain', () => {
  it('seals rows with the key, so a plain SHA-256 of the row does not reproduce them', () => {
    const { store } = fileStore();
    appendSteps(store, 3);
    const rows = store.db.prepare('SELECT scheme, key_id, hash FROM audit ORDER BY seq').all() as { scheme: string; key_id: string; hash: string }[];
    expect(rows.map((r) => r.scheme)).toEqual(['hmac-sha256', 'hmac-sha256', 'hmac-sha256']);
    expect(new Set(rows.map((r) => r.key_id))).toEqual(new Set([auditKey(TEST_AUDIT_KEY).id]));
    const first = store.audit.forIncident('inc-1')[0]!;
    expect(first.hash).not.toBe(hashEntry(first));
    expect(store.audit.verify()).toEqual({ ok: true, rows: 3, legacy: 0, keyed: 3, afterAnchor: null });
  });

  it('refuses a key shorter than 32 characters', () => {
    expect(() => new Store(openDb(':memory:'), { auditKey: 'short' })).toThrow(/at least 32 characters.*openssl rand -hex 32/);
  });

  it('still verifies legacy SHA-256 rows written before the key, then keyed rows after them', () => {
    const { store } = fileStore();
    let prev = GENESIS_HASH;
    for (let i = 0; i < 2; i++) {
      const e = { ...step(i), prevHash: prev };
      prev = hashEntry(e);
      store.db.prepare('INSERT INTO audit (at, incident_id, proposal_id, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(e.at, e.incidentId, e.proposalId, e.actor, e.action, JSON.stringify(e.details), e.prevHash, prev);
    }
    store.tx(() => store.audit.append(step(2)));
    store.tx(() => store.audit.append(step(3)));
    expect(store.audit.verify({ anchor: anchorOf(store.db.name) })).toEqual({ ok: true, rows: 4, legacy: 2, keyed: 2, afterAnchor: 0 });
  });

  it('treats an unkeyed row after keyed ones as a break (no downgrade)', () => {
    const { store } = fileStore();
    appendSteps(store, 3);
    rechain(store.db, 3, hashEntry, ", scheme = 'sha256', key_id = NULL");
    expect(store.audit.verify()).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringContaining('unkeyed but keyed rows began at row 1') });
  });

  it('catches a row edited and the plain SHA-256 chain recomputed after it: the MAC no longer matches', () => {
    const { store } = fileStore();
    appendSteps(store, 4);
    store.db.prepare(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`).run();
    rechain(store.db, 2, hashEntry);
    expect(store.audit.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: 'row 2 was changed after it was written (its MAC does not match)' });
  });

  it('catches the whole chain rewritten as legacy rows, through the anchor', () => {
    const { store, anchor } = fileStore();
    appendSteps(store, 3);
    rechain(store.db, 1, hashEntry, ", scheme = 'sha256', key_id = NULL");
    // Without an anchor nothing in the database says the rows were ever keyed: the limit of a local chain.
    expect(store.audit.verify()).toMatchObject({ ok: true, legacy: 3, keyed: 0 });
    expect(store.audit.verify({ anchor: anchor() })).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringContaining('does not match the anchor') });
  });

  it('catches a chain recomputed with another key, whether or not the key id is forged too', () => {
    const { store } = fileStore();
    appendSteps(store, 3);
    const other = auditKey(OTHER_KEY);
    rechain(store.db, 2, (e) => macEntry(other, e), `, key_id = '${other.id}'`);
    expect(store.audit.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringContaining(`sealed with another key (key id ${other.id}`) });
    store.db.prepare('UPDATE audit SET key_id = ?').run(auditKey(TEST_AUDIT_KEY).id);
    expect(store.audit.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringContaining('MAC does not match') });
  });
});

describe('anchored head', () => {
  it('is written beside the database after each committed transaction that appended rows', () => {
    const { store, file, anchor } = fileStore();
    expect(existsSync(defaultHeadFile(file))).toBe(false);
    appendSteps(store, 2);
    const head = anchor();
    expect(head).toMatchObject({ v: 1, rows: 2, seq: 2, at: '2025-03-01T12:01:00.000Z', keyId: auditKey(TEST_AUDIT_KEY).id });
    expect(head.hash).toBe(store.audit.forIncident('inc-1')[1]!.hash);

    expect(() => store.tx(() => {
      store.audit.append(step(5));
      throw new Error('crash mid-way');
    })).toThrow('crash mid-way');
    store.tx(() => store.outbox.enqueue('post', { incidentId: 'inc-1' }, { text: 'no audit row' }, '2025-03-01T12:05:00.000Z'));
    expect(anchor()).toEqual(head);

    store.audit.append(step(6));
    expect(anchor()).toMatchObject({ rows: 3, seq: 3 });
  });

  it('catches the last rows deleted, which no link can show', () => {
    const { store, anchor } = fileStore();
    appendSteps(store, 4);
    store.db.prepare('DELETE FROM audit WHERE seq >= 3').run();
    expect(store.audit.verify()).toMatchObject({ ok: true, rows: 2 });
    expect(store.audit.verify({ anchor: anchor() })).toEqual({
      ok: false, rows: 2, brokenAt: 3,
      reason: '2 row(s) missing from the end: the chain ends at row 2 but the anchor records 4 row(s) up to row 4',
    });
  });

  it('catches the anchored row deleted even after the bot wrote more rows on top (with an exported head)', () => {
    const { store } = fileStore();
    appendSteps(store, 3);
    const exported = store.audit.head();
    store.db.prepare('DELETE FROM audit WHERE seq = 3').run();
    store.tx(() => store.audit.append(step(4)));
    expect(store.audit.verify()).toMatchObject({ ok: true });
    expect(store.audit.verify({ anchor: exported })).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringContaining('row 3, the anchored head, is missing') });
  });

  it('is kept aside, not overwritten, when a restarted bot finds the database no longer holds it', () => {
    const { store, file, anchor } = fileStore();
    appendSteps(store, 3);
    const before = anchor();
    store.db.close();
    // While the bot is down, someone deletes the last row; the next bot then appends on top.
    const db = openDb(file);
    db.prepare('DELETE FROM audit WHERE seq = 3').run();
    const warnings: string[] = [];
    const restarted = new Store(db, { auditKey: TEST_AUDIT_KEY, onAuditHeadError: (e) => warnings.push(String(e)) });
    restarted.tx(() => restarted.audit.append(step(4)));
    const kept = staleHeadFiles(defaultHeadFile(file));
    expect(kept).toHaveLength(1);
    expect(readHeadFile(kept[0]!)).toEqual({ ok: true, head: before });
    expect(warnings).toEqual([expect.stringContaining('no longer matches the database (row 3, the anchored head, is missing')]);
    expect(restarted.audit.verify({ anchor: before })).toMatchObject({ ok: false, brokenAt: 3 });
    // Heads that still match (the usual restart) are simply replaced.
    restarted.tx(() => restarted.audit.append(step(5)));
    expect(staleHeadFiles(defaultHeadFile(file))).toHaveLength(1);
  });

  it('reports rows written after the anchor without failing', () => {
    const { store, anchor } = fileStore();
    appendSteps(store, 2);
    const head = anchor();
    const elsewhere = new Store(store.db, { auditKey: TEST_AUDIT_KEY, auditHead: null });
    elsewhere.tx(() => elsewhere.audit.append(step(7)));
    elsewhere.tx(() => elsewhere.audit.append(step(8)));
    expect(store.audit.verify({ anchor: head })).toEqual({ ok: true, rows: 4, legacy: 0, keyed: 4, afterAnchor: 2 });
  });

  it('refuses an anchor that was edited or sealed with another key', () => {
    const { store, file, anchor } = fileStore();
    appendSteps(store, 3);
    const head = anchor();
    expect(store.audit.verify({ anchor: { ...head, rows: 2, seq: 2 } })).toMatchObject({ ok: false, reason: 'the anchor was edited (its MAC does not match)' });
    const foreign = new Store(openDb(':memory:'), { auditKey: OTHER_KEY }).audit.head();
    expect(store.audit.verify({ anchor: { ...foreign, seq: 3, rows: 3, hash: head.hash } })).toMatchObject({ ok: false, reason: expect.stringContaining('sealed with another key') });
    // The file on disk is what the bot wrote: valid JSON with a MAC, not an unsigned note.
    expect(JSON.parse(readFileSync(defaultHeadFile(file), 'utf8'))).toHaveProperty('mac', head.mac);
  });

  it('never fails a commit when the anchor cannot be written, and says so once', () => {
    const errors: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'backstop-audit-'));
    writeFileSync(join(dir, 'not-a-dir'), '');
    const store = new Store(openDb(':memory:'), { auditKey: TEST_AUDIT_KEY, auditHead: join(dir, 'not-a-dir', 'head'), onAuditHeadError: (_e, f) => errors.push(f) });
    appendSteps(store, 2);
    expect(store.audit.verify()).toMatchObject({ ok: true, rows: 2 });
    expect(errors).toEqual([join(dir, 'not-a-dir', 'head')]);
  });
});

describe('audit timestamps', () => {
  it('never go backwards along the chain: a row stamped earlier takes the time of the row before it', () => {
    const { store } = fileStore();
    store.tx(() => {
      store.audit.append(step(1, '2025-03-01T12:00:05.000Z'));
      store.audit.append(step(2, '2025-03-01T12:00:04.000Z'));
    });
    expect(store.audit.forIncident('inc-1').map((e) => e.at)).toEqual(['2025-03-01T12:00:05.000Z', '2025-03-01T12:00:05.000Z']);
    expect(store.audit.verify()).toMatchObject({ ok: true });
  });

  it('verify treats a row dated before the row before it as a break, even when sealed with the key', () => {
    const { store } = fileStore();
    appendSteps(store, 3);
    store.db.prepare(`UPDATE audit SET at = '2025-03-01T11:59:00.000Z' WHERE seq = 3`).run();
    const key = auditKey(TEST_AUDIT_KEY);
    rechain(store.db, 3, (e) => macEntry(key, e));
    expect(store.audit.verify()).toMatchObject({ ok: false, brokenAt: 3, reason: 'row 3 is dated 2025-03-01T11:59:00.000Z, before row 2 (2025-03-01T12:01:00.000Z)' });
  });
});

describe('the head kept in memory', () => {
  it('chains several rows of one transaction on each other and anchors the true head and row count', () => {
    const { store, anchor } = fileStore();
    appendSteps(store, 2);
    store.tx(() => {
      for (let i = 2; i < 6; i++) store.audit.append(step(i));
    });
    expect(anchor()).toEqual(store.audit.head());
    expect(anchor()).toMatchObject({ rows: 6, seq: 6 });
    expect(store.audit.verify({ anchor: anchor() })).toEqual({ ok: true, rows: 6, legacy: 0, keyed: 6, afterAnchor: 0 });
  });

  it('counts the rows again once another connection has written to the database', () => {
    const { store, file, anchor } = fileStore();
    appendSteps(store, 2);
    const other = new Store(openDb(file), { auditKey: TEST_AUDIT_KEY, auditHead: null });
    appendSteps(other, 3);
    appendSteps(store, 1);
    expect(anchor()).toMatchObject({ rows: 6, seq: 6 });
    expect(anchor()).toEqual(store.audit.head());
    expect(store.audit.verify({ anchor: anchor() })).toMatchObject({ ok: true, rows: 6 });
  });

  it('never chains onto a row whose savepoint rolled back', () => {
    const { store, anchor } = fileStore();
    appendSteps(store, 1);
    store.tx(() => {
      store.audit.append(step(1));
      expect(() => store.tx(() => {
        store.audit.append(step(2));
        throw new Error('inner step failed');
      })).toThrow('inner step failed');
      store.audit.append(step(3));
    });
    expect(store.audit.verify({ anchor: anchor() })).toEqual({ ok: true, rows: 3, legacy: 0, keyed: 3, afterAnchor: 0 });
    expect(anchor()).toEqual(store.audit.head());
  });

  it('forgets the rows of a transaction that rolled back', () => {
    const { store, anchor } = fileStore();
    appendSteps(store, 2);
    expect(() => store.tx(() => {
      store.audit.append(step(2));
      throw new Error('crash');
    })).toThrow('crash');
    appendSteps(store, 1);
    expect(anchor()).toMatchObject({ rows: 3, seq: 3 });
    expect(store.audit.verify({ anchor: anchor() })).toMatchObject({ ok: true, rows: 3 });
  });
});
