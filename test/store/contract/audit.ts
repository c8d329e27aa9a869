import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../../src/domain/audit.js';
import type { AuditInput } from '../../../src/ports/store.js';
import { readHeadFile, staleHeadFiles } from '../../../src/store/audit-anchor.js';
import { auditKey } from '../../../src/store/audit-key.js';
import { TEST_AUDIT_KEY } from '../../support/audit-key.js';
import type { Engine } from './engine.js';
import { at, seed, stores, T0 } from './fixtures.js';

const step = (i: number, over: Partial<AuditInput> = {}): AuditInput => ({ at: at(i), incidentId: 'inc-1', proposalId: null, actor: 'alice', action: `step.${i}`, details: { i }, ...over });

function headIn(file: string) {
  const r = readHeadFile(file);
  if (!r.ok) throw new Error(r.problem);
  return r.head;
}

const anchorFile = () => join(mkdtempSync(join(tmpdir(), 'backstop-contract-')), 'audit-head');

/** The keyed audit chain: what append writes, what verify catches, and the anchored head. */
export function describeAudit(engine: Engine): void {
  const db = stores(engine);

  describe('audit trail', () => {
    it('chains each row on the one before, sealed with the key, and reads them per incident and proposal', async () => {
      const s = await db.fresh();
      await seed(s.store);
      const a = await s.store.tx((r) => r.audit.append(step(1, { proposalId: 'rb-1', details: { text: 'Approved ✅', fact: { action: 'x', n: [1, 2] } } })));
      const b = await s.store.audit.append(step(2, { incidentId: null, actor: 'system' }));
      const c = await s.store.tx((r) => r.audit.append(step(3, { proposalId: 'rb-1' })));
      expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, at: at(1), actor: 'alice', details: { text: 'Approved ✅' } });
      expect(b).toMatchObject({ seq: 2, prevHash: a.hash, incidentId: null });
      expect(c).toMatchObject({ seq: 3, prevHash: b.hash });
      expect(await s.store.audit.forIncident('inc-1')).toEqual([a, c]);
      expect(await s.store.audit.forProposal('rb-1')).toEqual([a, c]);
      expect(await s.store.audit.forProposal('nope')).toEqual([]);
      expect(await s.verifyAudit()).toEqual({ ok: true, rows: 3, legacy: 0, keyed: 3, afterAnchor: null });
      expect(await s.auditHead()).toMatchObject({ v: 1, rows: 3, seq: 3, hash: c.hash, at: at(3), keyId: auditKey(TEST_AUDIT_KEY).id });
    });

    it('chains several appends of one transaction on each other, after rows of earlier transactions, and rolls them back together', async () => {
      const s = await db.fresh();
      const first = await s.store.tx((r) => r.audit.append(step(1)));
      const [b, c, d] = await s.store.tx(async (r) => [await r.audit.append(step(2)), await r.audit.append(step(3)), await r.audit.append(step(4))]);
      expect([b, c, d].map((e) => [e!.seq, e!.prevHash])).toEqual([[2, first.hash], [3, b!.hash], [4, c!.hash]]);
      await expect(s.store.tx(async (r) => {
        await r.audit.append(step(5));
        throw new Error('crash mid-way');
      })).rejects.toThrow('crash mid-way');
      const e = await s.store.tx((r) => r.audit.append(step(6)));
      expect(e).toMatchObject({ seq: 5, prevHash: d!.hash });
      expect(await s.auditHead()).toMatchObject({ rows: 5, seq: 5, hash: e.hash });
      expect(await s.verifyAudit(await s.auditHead())).toEqual({ ok: true, rows: 5, legacy: 0, keyed: 5, afterAnchor: 0 });
    });

    it('never dates a row before the one before it', async () => {
      const s = await db.fresh();
      await s.store.audit.append(step(10));
      const late = await s.store.audit.append(step(5));
      expect(late.at).toBe(at(10));
      expect(await s.verifyAudit()).toMatchObject({ ok: true, rows: 2 });
    });

    it('catches an edited row', async () => {
      const s = await db.fresh();
      for (let i = 1; i <= 4; i++) await s.store.audit.append(step(i));
      await s.exec("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
      expect(await s.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2, reason: 'row 2 was changed after it was written (its MAC does not match)' });
    });

    it('catches a deleted row in the middle, and the last rows deleted through the anchor', async () => {
      const s = await db.fresh();
      for (let i = 1; i <= 4; i++) await s.store.audit.append(step(i));
      const head = await s.auditHead();
      expect(await s.verifyAudit(head)).toEqual({ ok: true, rows: 4, legacy: 0, keyed: 4, afterAnchor: 0 });
      await s.exec('DELETE FROM audit WHERE seq >= 3');
      expect(await s.verifyAudit()).toMatchObject({ ok: true, rows: 2 });
      expect(await s.verifyAudit(head)).toEqual({
        ok: false, rows: 2, brokenAt: 3, reason: '2 row(s) missing from the end: the chain ends at row 2 but the anchor records 4 row(s) up to row 4',
      });
      await s.exec('DELETE FROM audit WHERE seq = 1');
      expect(await s.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringContaining('does not follow') });
    });

    it('writes the head to the anchor file after each committed transaction that appended rows', async () => {
      const file = anchorFile();
      const s = await db.fresh({ auditHead: file });
      await seed(s.store);
      expect(existsSync(file)).toBe(false);
      await s.store.tx(async (r) => {
        await r.audit.append(step(1));
        await r.audit.append(step(2));
      });
      const head = headIn(file);
      expect(head).toEqual(await s.auditHead());
      expect(head).toMatchObject({ rows: 2, seq: 2, at: at(2) });

      await expect(s.store.tx(async (r) => {
        await r.audit.append(step(3));
        throw new Error('crash mid-way');
      })).rejects.toThrow('crash mid-way');
      await s.store.tx((r) => r.outbox.enqueue('post', { incidentId: 'inc-1', channelId: 'C1' }, { text: 'no audit row' }, T0));
      expect(headIn(file)).toEqual(head);

      await s.store.audit.append(step(4));
      expect(headIn(file)).toMatchObject({ rows: 3, seq: 3 });
      expect(await s.verifyAudit(headIn(file))).toMatchObject({ ok: true, rows: 3, afterAnchor: 0 });
    });

    it('keeps aside, rather than overwrites, a head that a restarted bot finds the database no longer holds', async () => {
      const file = anchorFile();
      const first = await db.fresh({ auditHead: file });
      for (let i = 1; i <= 3; i++) await first.store.tx((r) => r.audit.append(step(i)));
      const old = headIn(file);
      await first.exec('DELETE FROM audit WHERE seq = 3');

      const problems: string[] = [];
      const restarted = await db.reopen(first, { auditHead: file, onAuditHeadError: (e) => problems.push(String(e)) });
      await restarted.store.tx((r) => r.audit.append(step(4)));
      expect(problems).toEqual([expect.stringContaining('row 3, the anchored head, is missing')]);
      const kept = staleHeadFiles(file);
      expect(kept).toHaveLength(1);
      expect(headIn(kept[0]!)).toEqual(old);
      expect(headIn(file)).toEqual(await restarted.auditHead());
    });
  });
}
