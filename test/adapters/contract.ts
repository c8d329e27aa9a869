import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RollbackAdapter } from '../../src/ports/rollback-adapter.js';

/**
 * What every rollback adapter must do, checked against the target's own state rather
 * than the adapter's word for it. An adapter joins with one call in its test file.
 */
export interface ContractHarness {
  adapter: RollbackAdapter;
  /** The state the harness seeded: `versions()` must report exactly this before any execute. */
  seeded: { current: string; lastGood: string };
  /** A version the target has never heard of. */
  unknownVersion: string;
  /** What the target itself says is serving, read without going through the adapter. */
  serving(): Promise<string | null>;
  /** How many times the target really moved (idempotent replays do not count). */
  moves(): Promise<number>;
  close?(): Promise<void>;
}

export function describeRollbackAdapterContract(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(`${name} honours the RollbackAdapter contract`, () => {
    let h: ContractHarness;

    beforeEach(async () => {
      h = await makeHarness();
    });

    afterEach(async () => {
      await h.close?.();
    });

    const request = (to: string, idempotencyKey = 'prop-1') => ({ to, idempotencyKey, actor: 'U0APPROVER', reason: 'accuracy below 0.85' });

    it('reports the current and last good version', async () => {
      const v = await h.adapter.versions();
      expect(v.current).toBe(h.seeded.current);
      expect(v.lastGood).toBe(h.seeded.lastGood);
    });

    it('plans a rollback without touching the target', async () => {
      const plan = await h.adapter.plan(h.seeded.lastGood);
      expect(plan).toMatchObject({ from: h.seeded.current, to: h.seeded.lastGood, target: h.adapter.describe() });
      expect(plan.steps.length).toBeGreaterThan(0);
      expect(await h.serving()).toBe(h.seeded.current);
      expect(await h.moves()).toBe(0);
    });

    it('moves the target to the requested version on execute', async () => {
      const out = await h.adapter.execute(request(h.seeded.lastGood));
      expect(out).toMatchObject({ ok: true, version: h.seeded.lastGood, alreadyApplied: false });
      expect(await h.serving()).toBe(h.seeded.lastGood);
      expect((await h.adapter.versions()).current).toBe(h.seeded.lastGood);
      expect(await h.moves()).toBe(1);
    });

    it('executes the same idempotency key only once', async () => {
      const first = await h.adapter.execute(request(h.seeded.lastGood, 'prop-twice'));
      const second = await h.adapter.execute(request(h.seeded.lastGood, 'prop-twice'));
      expect(first).toMatchObject({ ok: true, alreadyApplied: false });
      expect(second).toMatchObject({ ok: true, version: h.seeded.lastGood, alreadyApplied: true });
      expect(await h.moves()).toBe(1);
    });

    it('refuses an unknown target version with ok:false instead of throwing', async () => {
      const out = await h.adapter.execute(request(h.unknownVersion));
      expect(out).toMatchObject({ ok: false, retryable: false });
      if (!out.ok) expect(out.message).toContain(h.unknownVersion);
      expect(await h.serving()).toBe(h.seeded.current);
      expect(await h.moves()).toBe(0);
    });
  });
}
