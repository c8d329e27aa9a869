import { beforeEach, describe, expect, it } from 'vitest';
import { TargetLedger } from '../../src/adapters/ledger.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';

const T = 'mlflow:https://mlflow.example/fraud-scorer@production';

describe('TargetLedger', () => {
  let db: Db;
  let clock: FakeClock;
  let ledger: TargetLedger;

  beforeEach(() => {
    db = openDb(':memory:');
    clock = new FakeClock();
    ledger = new TargetLedger(db, clock);
  });

  const rollback = (version: string, from: string, key: string) => ledger.record({ target: T, version, actor: 'U0A', kind: 'rollback', from, idempotencyKey: key });

  it('records an observation only when the target points somewhere new', () => {
    ledger.observe(T, '41');
    ledger.observe(T, '41');
    clock.advance(1_000);
    ledger.observe(T, '42');
    expect(ledger.history(T).map((e) => e.version)).toEqual(['42', '41']);
  });

  it('offers the newest earlier version, never one a rollback moved away from', () => {
    for (const v of ['40', '41', '42']) {
      ledger.observe(T, v);
      clock.advance(1_000);
    }
    expect(ledger.lastGood(T, '42')).toBe('41');
    rollback('40', '42', 'p1');
    expect(ledger.lastGood(T, '40')).toBe('41');
    clock.advance(1_000);
    ledger.observe(T, '43');
    expect(ledger.lastGood(T, '43')).toBe('40');
  });

  it('keeps targets apart', () => {
    ledger.observe(T, '41');
    ledger.observe('other', '7');
    expect(ledger.lastGood('other', null)).toBe('7');
    expect(ledger.history(T)).toHaveLength(1);
  });

  it('finds a proposal by its key, and refuses the same key twice for one target', () => {
    rollback('41', '42', 'p1');
    expect(ledger.byKey(T, 'p1')).toMatchObject({ version: '41', from: '42', actor: 'U0A' });
    expect(ledger.byKey('other', 'p1')).toBeUndefined();
    expect(() => rollback('40', '41', 'p1')).toThrow(/UNIQUE/);
  });

  it('dates a version only when Backstop itself moved the target there', () => {
    ledger.observe(T, '42');
    expect(ledger.movedAt(T, '42')).toBeNull();
    clock.advance(5_000);
    rollback('41', '42', 'p1');
    expect(ledger.movedAt(T, '41')).toEqual(clock.now());
  });
});
