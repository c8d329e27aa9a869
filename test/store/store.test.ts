import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { transition } from '../../src/domain/proposal.js';
import { migrate, openDb } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations/index.js';
import { Store } from '../../src/store/store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { proposal } from '../support/builders.js';

function seeded() {
  const store = new Store(openDb(':memory:'), { auditKey: TEST_AUDIT_KEY });
  store.incidents.insert({ id: 'inc-1', service: 'fraud-scorer', status: 'open', title: 't', severity: null, channelId: 'C1', openedAt: '2025-03-01T12:00:00.000Z', resolvedAt: null, resolvedBy: null, postmortemPath: null });
  store.proposals.insert(proposal());
  return store;
}

describe('SQLite store', () => {
  it('opens files in WAL mode and applies each migration once', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backstop-db-')), 'b.db');
    const db = openDb(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(migrate(db, migrations)).toBe(0);
    db.close();
    const again = openDb(file);
    expect(again.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(migrations.length);
    again.close();
  });

  it('lets only one of two writers holding the same revision win (compare-and-swap)', () => {
    const store = seeded();
    const read = store.proposals.get('rb-1')!;
    const now = new Date('2025-03-01T12:01:00.000Z');
    const a = transition(read, { type: 'approve', user: 'U1' }, now);
    const b = transition(read, { type: 'reject', user: 'U2', reason: 'no' }, now);
    if (!a.ok || !b.ok) throw new Error('transitions should be legal');
    expect(store.proposals.save(a.proposal, read.rev)).toBe(true);
    expect(store.proposals.save(b.proposal, read.rev)).toBe(false);
    expect(store.proposals.get('rb-1')).toMatchObject({ state: 'pending', rev: 1, approvals: [{ user: 'U1' }] });
  });

  it('refuses a second live proposal for the same service at the database level', () => {
    const store = seeded();
    expect(() => store.proposals.insert(proposal({ id: 'rb-2' }))).toThrow(/UNIQUE/);
    store.proposals.save({ ...store.proposals.get('rb-1')!, state: 'rejected', rev: 1 }, 0);
    expect(() => store.proposals.insert(proposal({ id: 'rb-2' }))).not.toThrow();
  });

  it('refuses a second open incident for the same service', () => {
    const store = seeded();
    expect(() => store.incidents.insert({ ...store.incidents.get('inc-1')!, id: 'inc-2' })).toThrow(/UNIQUE/);
  });

  it('rolls back every write of a failed transaction', () => {
    const store = seeded();
    expect(() => store.tx(() => {
      store.audit.append({ at: '2025-03-01T12:00:00.000Z', incidentId: 'inc-1', proposalId: 'rb-1', actor: 'x', action: 'y', details: {} });
      store.outbox.enqueue('thread', { proposalId: 'rb-1' }, { text: 'hi' }, '2025-03-01T12:00:00.000Z');
      throw new Error('crash mid-way');
    })).toThrow('crash mid-way');
    expect(store.audit.forProposal('rb-1')).toEqual([]);
    expect(store.outbox.pending()).toBe(0);
  });

  it('detects audit rows swapped into another order', () => {
    const store = seeded();
    for (let i = 0; i < 3; i++) store.audit.append({ at: `2025-03-01T12:0${i}:00.000Z`, incidentId: 'inc-1', proposalId: null, actor: 'a', action: `step.${i}`, details: { i } });
    store.db.prepare('UPDATE audit SET seq = seq + 100 WHERE seq = 1').run();
    expect(store.audit.verify()).toMatchObject({ ok: false, reason: expect.stringContaining('does not follow') });
  });

  it('detects an audit row removed from the middle of the chain', () => {
    const store = seeded();
    for (let i = 0; i < 3; i++) store.audit.append({ at: `2025-03-01T12:0${i}:00.000Z`, incidentId: 'inc-1', proposalId: null, actor: 'a', action: `step.${i}`, details: { i } });
    expect(store.audit.verify()).toMatchObject({ ok: true, rows: 3 });
    store.db.prepare('DELETE FROM audit WHERE seq = 2').run();
    expect(store.audit.verify()).toMatchObject({ ok: false, brokenAt: 3 });
  });
});
