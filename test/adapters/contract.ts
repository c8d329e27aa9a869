import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RollbackAdapter } from '../../src/ports/rollback-adapter.js';

/**
 * What every rollback adapter must do, checked against the target's own state rather
 * than the adapter's word for it. An adapter joins with one call in its test file.
 */

/** Faults a harness can make its target produce for the next requests. */
export type FaultKind = 'timeout' | 'server-error' | 'client-error';

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
  /**
   * Moves the target behind the adapter's back to a third version, neither `seeded.current`
   * nor `seeded.lastGood`, as CI deploying a release between proposal and approval would.
   * Returns that version, named as the adapter names versions.
   */
  moveTarget(): Promise<string>;
  close?(): Promise<void>;
  /**
   * True when the adapter can tell before executing that a version does not exist, so
   * preflight must fail for `unknownVersion`. Left out: enforced only if preflight fails anyway.
   */
  knowsVersions?: boolean;
  /** The target's own words for `unknownVersion` (e.g. MLflow's RESOURCE_DOES_NOT_EXIST message). */
  unknownVersionMessage?: string;
  /**
   * Makes the target fail the next requests; returns the target's own message for error
   * answers. A harness leaves out the faults its target cannot produce, and those members skip.
   */
  faults?: Partial<Record<FaultKind, () => Promise<{ message?: string }> | { message?: string }>>;
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

    // Approvers saw the seeded version serving: every execution says so.
    const request = (to: string, idempotencyKey = 'prop-1', expectedFrom: string | null = h.seeded.current) => ({
      to,
      expectedFrom,
      idempotencyKey,
      actor: 'U0APPROVER',
      reason: 'accuracy below 0.85',
    });

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

    it('refuses, moving nothing, when the target moved to another version since the proposal', async () => {
      const third = await h.moveTarget();
      expect([h.seeded.current, h.seeded.lastGood]).not.toContain(third);
      expect(await h.serving()).toBe(third);
      const movesBefore = await h.moves();
      const out = await h.adapter.execute(request(h.seeded.lastGood, 'prop-moved'));
      expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: third });
      if (!out.ok) {
        expect(out.message).toContain(third);
        expect(out.message).toContain(h.seeded.current);
      }
      expect(await h.serving()).toBe(third);
      expect(await h.moves()).toBe(movesBefore);
    });

    it('executes when the proposal could not tell what served (nothing to compare)', async () => {
      const out = await h.adapter.execute(request(h.seeded.lastGood, 'prop-unknown-from', null));
      expect(out).toMatchObject({ ok: true, version: h.seeded.lastGood });
      expect(await h.serving()).toBe(h.seeded.lastGood);
    });

    it('refuses an unknown target version with ok:false instead of throwing', async () => {
      const out = await h.adapter.execute(request(h.unknownVersion));
      expect(out).toMatchObject({ ok: false, retryable: false });
      if (!out.ok) {
        expect(out.message).toContain(h.unknownVersion);
        if (h.unknownVersionMessage !== undefined) expect(out.message).toContain(h.unknownVersionMessage);
      }
      expect(await h.serving()).toBe(h.seeded.current);
      expect(await h.moves()).toBe(0);
    });

    it('passes preflight for the seeded last good version without touching the target', async () => {
      const pre = await h.adapter.preflight(h.seeded.lastGood);
      expect(pre.ok, JSON.stringify(pre.checks)).toBe(true);
      expect(pre.checks.length).toBeGreaterThan(0);
      expect(pre.checks.every((c) => c.ok)).toBe(true);
      expect(await h.serving()).toBe(h.seeded.current);
      expect(await h.moves()).toBe(0);
    });

    it('fails preflight for an unknown version with a check naming it', async (ctx) => {
      const pre = await h.adapter.preflight(h.unknownVersion);
      if (pre.ok && !h.knowsVersions) {
        ctx.skip(`${name} cannot tell before executing whether a version exists`);
        return;
      }
      expect(pre.ok).toBe(false);
      const failed = pre.checks.filter((c) => !c.ok);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.some((c) => c.detail.includes(h.unknownVersion))).toBe(true);
      expect(await h.moves()).toBe(0);
    });

    it('confirms by reading the target back after execute', async () => {
      const before = await h.adapter.readBack(h.seeded.lastGood);
      expect(before.confirmed).toBe(false);
      const out = await h.adapter.execute(request(h.seeded.lastGood, 'prop-readback'));
      expect(out.ok).toBe(true);
      const after = await h.adapter.readBack(h.seeded.lastGood);
      expect(after).toMatchObject({ confirmed: true, version: h.seeded.lastGood });
    });

    const faultCases: Array<[FaultKind, string, boolean]> = [
      ['timeout', 'a timeout', true],
      ['server-error', 'a 5xx answer', true],
      ['client-error', 'a 4xx answer', false],
    ];
    for (const [kind, what, retryable] of faultCases) {
      it(`classifies ${what} as ${retryable ? 'retryable' : 'fatal'}, with the target's message, and moves nothing`, async (ctx) => {
        const inject = h.faults?.[kind];
        if (!inject) {
          ctx.skip(`${name}'s harness cannot produce ${what}`);
          return;
        }
        const { message } = await inject();
        const out = await h.adapter.execute(request(h.seeded.lastGood, `prop-${kind}`));
        expect(out).toMatchObject({ ok: false, retryable });
        if (!out.ok && message !== undefined) expect(out.message).toContain(message);
        expect(await h.serving()).toBe(h.seeded.current);
        expect(await h.moves()).toBe(0);
      });
    }
  });
}
