import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { LocalRegistryAdapter } from '../../src/adapters/local-registry/adapter.js';
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';
import { describeRollbackAdapterContract } from './contract.js';

const target = { model: 'fraud-scorer', alias: 'production' };

function seeded(): { db: Db; clock: FakeClock; registry: LocalRegistry; adapter: LocalRegistryAdapter } {
  const db = openDb(':memory:');
  const clock = new FakeClock();
  const registry = new LocalRegistry(db, clock);
  for (const v of ['v40', 'v41', 'v42']) {
    clock.advance(60_000);
    registry.register(target.model, v);
    registry.promote(target.model, v, { actor: 'ci', reason: `ship ${v}` });
  }
  return { db, clock, registry, adapter: new LocalRegistryAdapter(registry, target) };
}

function rollbackRows(db: Db): number {
  const n = db.prepare("SELECT count(*) FROM registry_history WHERE kind = 'rollback' AND from_version != to_version").pluck().get();
  return typeof n === 'number' ? n : Number.NaN;
}

describeRollbackAdapterContract('local-registry', async () => {
  const { db, registry, adapter } = seeded();
  return {
    adapter,
    seeded: { current: 'v42', lastGood: 'v41' },
    unknownVersion: 'v999',
    serving: async () => {
      const a = registry.alias(target.model, target.alias);
      return a.ok ? a.value.version : null;
    },
    moves: async () => rollbackRows(db),
    moveTarget: async () => {
      registry.register(target.model, 'v43');
      registry.promote(target.model, 'v43', { actor: 'ci', reason: 'ship v43' });
      return 'v43';
    },
    close: async () => {
      db.close();
    },
  };
});

describe('LocalRegistryAdapter', () => {
  let s: ReturnType<typeof seeded>;

  beforeEach(() => {
    s = seeded();
  });

  it('describes its target', () => {
    expect(s.adapter.describe()).toBe('local-registry model fraud-scorer alias production');
  });

  it('plans the three steps it executes', async () => {
    expect(await s.adapter.plan('v41')).toEqual({
      target: 'local-registry model fraud-scorer alias production',
      from: 'v42',
      to: 'v41',
      steps: ['check v41 exists and is READY', 'move alias production of fraud-scorer from v42 to v41', 'record in registry history'],
    });
  });

  it('reports when the current version was deployed', async () => {
    const deployedAt = s.clock.now();
    s.clock.advance(3_600_000);
    expect((await s.adapter.versions()).deployedAt).toEqual(deployedAt);
  });

  it('answers nulls for a model with no versions yet', async () => {
    const empty = new LocalRegistryAdapter(s.registry, { model: 'not-registered', alias: 'production' });
    expect(await empty.versions()).toEqual({ current: null, lastGood: null, deployedAt: null });
  });

  it('refuses a version that is not READY with its reason', async () => {
    s.registry.register(target.model, 'v43', { status: 'PENDING_REGISTRATION' });
    const out = await s.adapter.execute({ to: 'v43', expectedFrom: 'v42', idempotencyKey: 'p1', actor: 'U0A', reason: 'r' });
    expect(out).toEqual({ ok: false, retryable: false, message: 'fraud-scorer v43 is PENDING_REGISTRATION, not READY [version_not_ready]' });
  });

  it('records the approver and reason in the registry history', async () => {
    await s.adapter.execute({ to: 'v41', expectedFrom: 'v42', idempotencyKey: 'prop-9', actor: 'U0APPROVER', reason: 'accuracy 0.71 < 0.85' });
    const h = s.registry.history(target.model, target.alias);
    expect(h.ok && h.value.at(-1)).toMatchObject({ kind: 'rollback', actor: 'U0APPROVER', reason: 'accuracy 0.71 < 0.85', idempotencyKey: 'prop-9' });
  });

  it('answers a replayed key as already applied even after someone promoted since', async () => {
    const first = { to: 'v41', expectedFrom: 'v42', idempotencyKey: 'prop-11', actor: 'U0A', reason: 'r' };
    expect(await s.adapter.execute(first)).toMatchObject({ ok: true, alreadyApplied: false });
    s.registry.register(target.model, 'v43');
    s.registry.promote(target.model, 'v43', { actor: 'ci' });
    expect(await s.adapter.execute(first)).toMatchObject({ ok: true, alreadyApplied: true });
    // A new proposal approved against v42 is refused: v43 serves now.
    expect(await s.adapter.execute({ ...first, idempotencyKey: 'prop-12' })).toMatchObject({ ok: false, code: 'target_moved', current: 'v43' });
    expect(s.registry.alias(target.model, target.alias)).toMatchObject({ ok: true, value: { version: 'v43' } });
  });

  it('reports a locked database as retryable and moves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-registry-'));
    const file = join(dir, 'busy.db');
    const writer = openDb(file);
    const reader = openDb(file);
    try {
      const registry = new LocalRegistry(writer, s.clock);
      registry.register(target.model, 'v40');
      registry.register(target.model, 'v41');
      registry.promote(target.model, 'v41', { actor: 'ci' });
      reader.pragma('busy_timeout = 0');
      writer.exec('BEGIN IMMEDIATE');
      const out = await new LocalRegistryAdapter(new LocalRegistry(reader, s.clock), target).execute({ to: 'v40', expectedFrom: 'v41', idempotencyKey: 'p1', actor: 'U0A', reason: 'r' });
      writer.exec('ROLLBACK');
      expect(out).toMatchObject({ ok: false, retryable: true, message: expect.stringContaining('SQLITE_BUSY') });
      expect(registry.alias(target.model, target.alias)).toMatchObject({ ok: true, value: { version: 'v41' } });
    } finally {
      reader.close();
      writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets unexpected database errors through as exceptions', async () => {
    const closed = openDb(':memory:');
    closed.close();
    const broken = new LocalRegistryAdapter(new LocalRegistry(closed, s.clock), target);
    await expect(broken.execute({ to: 'v41', expectedFrom: 'v42', idempotencyKey: 'p1', actor: 'U0A', reason: 'r' })).rejects.toThrow(/not open/);
  });
});
