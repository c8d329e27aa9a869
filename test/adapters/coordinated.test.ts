import { beforeEach, describe, expect, it } from 'vitest';
import { CoordinatedAdapter } from '../../src/adapters/coordinated.js';
import { LocalRegistryAdapter } from '../../src/adapters/local-registry/adapter.js';
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import type { ReadBack, RollbackAdapter } from '../../src/ports/rollback-adapter.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';
import { describeRollbackAdapterContract } from './contract.js';

/** Two registry aliases rolled back together: the scorer (primary) and its feature store. */
function seeded(): { db: Db; registry: LocalRegistry; adapter: CoordinatedAdapter; alias(model: string): string | null } {
  const db = openDb(':memory:');
  const clock = new FakeClock();
  const registry = new LocalRegistry(db, clock);
  for (const [model, versions] of [['scorer', ['v40', 'v41', 'v42']], ['features', ['f7', 'f8', 'f9']]] as const) {
    for (const v of versions) {
      clock.advance(60_000);
      registry.register(model, v);
      registry.promote(model, v, { actor: 'ci' });
    }
  }
  const adapter = new CoordinatedAdapter([
    new LocalRegistryAdapter(registry, { model: 'scorer', alias: 'production' }),
    new LocalRegistryAdapter(registry, { model: 'features', alias: 'production' }),
  ]);
  const alias = (model: string) => {
    const a = registry.alias(model, 'production');
    return a.ok ? a.value.version : null;
  };
  return { db, registry, adapter, alias };
}

const req = (over: Partial<{ to: string; expectedFrom: string | null; planned: string; idempotencyKey: string }> = {}) => ({
  to: 'v41',
  expectedFrom: 'v42',
  idempotencyKey: 'rb-1',
  actor: 'U0APPROVER',
  reason: 'accuracy 0.71',
  ...over,
});

describeRollbackAdapterContract('coordinated', async () => {
  const s = seeded();
  return {
    adapter: s.adapter,
    seeded: { current: 'v42', lastGood: 'v41' },
    unknownVersion: 'v999',
    serving: async () => s.alias('scorer'),
    moves: async () => Number(s.db.prepare("SELECT count(*) FROM registry_history WHERE model = 'scorer' AND kind = 'rollback' AND from_version != to_version").pluck().get()),
    moveTarget: async () => {
      s.registry.register('scorer', 'v43');
      s.registry.promote('scorer', 'v43', { actor: 'ci' });
      return 'v43';
    },
    close: async () => {
      s.db.close();
    },
  };
});

describe('CoordinatedAdapter', () => {
  let s: ReturnType<typeof seeded>;

  beforeEach(() => {
    s = seeded();
  });

  it('refuses before moving anything when a secondary target moved since the plan', async () => {
    const plan = await s.adapter.plan('v41');
    s.registry.register('features', 'f10');
    s.registry.promote('features', 'f10', { actor: 'ci' });
    const out = await s.adapter.execute(req({ planned: plan.basis }));
    expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved' });
    if (!out.ok) expect(out.message).toMatch(/features .* now serves f10, not f9 as approved; nothing was changed/);
    expect([s.alias('scorer'), s.alias('features')]).toEqual(['v42', 'f10']);
  });

  it('rolls each secondary to the version the plan showed, not one picked later', async () => {
    const plan = await s.adapter.plan('v41');
    expect(plan.steps.join('\n')).toContain('from f9 to f8');
    // Someone marks an older feature set good after people saw the plan.
    s.registry.markGood('features', 'f7', 'sre');
    expect((await s.adapter.execute(req({ planned: plan.basis }))).ok).toBe(true);
    expect([s.alias('scorer'), s.alias('features')]).toEqual(['v41', 'f8']);
  });

  it('answers a replay as already applied, though the targets no longer serve what was approved', async () => {
    const plan = await s.adapter.plan('v41');
    expect(await s.adapter.execute(req({ planned: plan.basis }))).toMatchObject({ ok: true, alreadyApplied: false });
    expect(await s.adapter.execute(req({ planned: plan.basis }))).toMatchObject({ ok: true, alreadyApplied: true });
    expect([s.alias('scorer'), s.alias('features')]).toEqual(['v41', 'f8']);
  });

  it('passes on that the primary cannot confirm its version', async () => {
    const blind: RollbackAdapter = Object.assign(Object.create(new LocalRegistryAdapter(s.registry, { model: 'scorer', alias: 'production' })) as RollbackAdapter, {
      readBack: async (): Promise<ReadBack> => ({ confirmed: false, canConfirm: false, version: null, detail: 'the target cannot report its version' }),
    });
    const both = new CoordinatedAdapter([blind, new LocalRegistryAdapter(s.registry, { model: 'features', alias: 'production' })]);
    expect(await both.readBack('v41')).toMatchObject({ confirmed: false, canConfirm: false });
  });
});
