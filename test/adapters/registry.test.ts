import { beforeEach, describe, expect, it } from 'vitest';
import { LocalRegistry, type RegistryResult } from '../../src/adapters/local-registry/registry.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';

const M = 'fraud-scorer';
const ALIAS = 'production';
const actor = 'U0ALICE';

function value<T>(r: RegistryResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.value;
}

describe('LocalRegistry', () => {
  let db: Db;
  let clock: FakeClock;
  let reg: LocalRegistry;

  /** Registers each version and promotes them in order, a minute apart. */
  function deploy(...versions: string[]): void {
    for (const v of versions) {
      clock.advance(60_000);
      value(reg.register(M, v));
      value(reg.promote(M, v, { actor, reason: `ship ${v}` }));
    }
  }

  function snapshot() {
    return {
      alias: reg.alias(M, ALIAS),
      history: db.prepare('SELECT * FROM registry_history ORDER BY seq').all(),
    };
  }

  beforeEach(() => {
    db = openDb(':memory:');
    clock = new FakeClock();
    reg = new LocalRegistry(db, clock);
  });

  describe('register', () => {
    it('registers a READY version with its source', () => {
      expect(value(reg.register(M, 'v40', { source: 's3://models/fraud/40' }))).toMatchObject({
        version: 'v40',
        status: 'READY',
        source: 's3://models/fraud/40',
        createdAt: clock.now(),
      });
    });

    it('refuses a version that already exists, leaving the original as it was', () => {
      value(reg.register(M, 'v40', { source: 'a' }));
      expect(reg.register(M, 'v40', { source: 'b', status: 'FAILED_REGISTRATION' })).toMatchObject({ ok: false, code: 'already_exists' });
      expect(value(reg.listVersions(M))).toMatchObject([{ version: 'v40', source: 'a', status: 'READY' }]);
    });
  });

  describe('promote', () => {
    it('moves the alias and records who, when and why', () => {
      deploy('v40');
      clock.advance(5_000);
      value(reg.register(M, 'v41'));
      expect(value(reg.promote(M, 'v41', { actor: 'U0BOB', reason: 'better recall' }))).toEqual({ from: 'v40', to: 'v41', changed: true });
      expect(value(reg.alias(M, ALIAS))).toMatchObject({ version: 'v41', deployedAt: clock.now() });
      expect(value(reg.history(M, ALIAS)).at(-1)).toMatchObject({ kind: 'promote', from: 'v40', to: 'v41', actor: 'U0BOB', reason: 'better recall', idempotencyKey: null });
    });

    it('uses the alias it is given', () => {
      deploy('v40');
      value(reg.promote(M, 'v40', { alias: 'staging', actor }));
      expect(value(reg.alias(M, 'staging')).version).toBe('v40');
      expect(value(reg.history(M, 'staging'))).toHaveLength(1);
    });

    it('refuses unknown and not-ready versions', () => {
      deploy('v40');
      value(reg.register(M, 'v41', { status: 'PENDING_REGISTRATION' }));
      expect(reg.promote(M, 'v99', { actor })).toMatchObject({ ok: false, code: 'unknown_version' });
      expect(reg.promote('nope', 'v1', { actor })).toMatchObject({ ok: false, code: 'unknown_model' });
      expect(reg.promote(M, 'v41', { actor })).toMatchObject({ ok: false, code: 'version_not_ready' });
      expect(value(reg.alias(M, ALIAS)).version).toBe('v40');
    });

    it('writes nothing when the alias already points at the version', () => {
      deploy('v40');
      expect(value(reg.promote(M, 'v40', { actor }))).toEqual({ from: 'v40', to: 'v40', changed: false });
      expect(value(reg.history(M, ALIAS))).toHaveLength(1);
    });
  });

  describe('marks', () => {
    it('refuses to mark what does not exist', () => {
      deploy('v40');
      expect(reg.markBad(M, 'v99', actor)).toMatchObject({ ok: false, code: 'unknown_version' });
      expect(reg.markGood('nope', 'v1', actor)).toMatchObject({ ok: false, code: 'unknown_model' });
    });

    it('lets a later mark replace an earlier one', () => {
      deploy('v40');
      value(reg.markBad(M, 'v40', actor));
      value(reg.markGood(M, 'v40', actor));
      expect(value(reg.listVersions(M))[0]?.mark).toBe('good');
    });
  });

  describe('alias', () => {
    it('says when the alias or model is missing', () => {
      expect(reg.alias(M, ALIAS)).toMatchObject({ ok: false, code: 'unknown_model' });
      value(reg.register(M, 'v40'));
      expect(reg.alias(M, ALIAS)).toMatchObject({ ok: false, code: 'alias_not_set' });
    });

    it('dates the current version from the history row that made it current', () => {
      deploy('v40', 'v41');
      const deployed = clock.now();
      clock.advance(3_600_000);
      value(reg.markGood(M, 'v41', actor));
      expect(value(reg.alias(M, ALIAS)).deployedAt).toEqual(deployed);
    });
  });

  describe('lastGood', () => {
    it('walks the alias history back to the previous version', () => {
      deploy('v40', 'v41', 'v42');
      expect(value(reg.lastGood(M, ALIAS))).toBe('v41');
    });

    it('skips versions marked bad', () => {
      deploy('v40', 'v41', 'v42');
      value(reg.markBad(M, 'v41', actor));
      expect(value(reg.lastGood(M, ALIAS))).toBe('v40');
    });

    it('prefers a version marked good over a newer unmarked one', () => {
      deploy('v40', 'v41', 'v42');
      value(reg.markGood(M, 'v40', actor));
      expect(value(reg.lastGood(M, ALIAS))).toBe('v40');
    });

    it('takes the newest version marked good, whatever order the marks were made in', () => {
      deploy('v39', 'v40', 'v41', 'v42');
      value(reg.markGood(M, 'v40', actor));
      value(reg.markGood(M, 'v39', actor));
      expect(value(reg.lastGood(M, ALIAS))).toBe('v40');
    });

    it('orders versions registered in the same instant by registration', () => {
      value(reg.register(M, 'v40'));
      value(reg.register(M, 'v41'));
      deploy('v42');
      value(reg.markGood(M, 'v41', actor));
      value(reg.markGood(M, 'v40', actor));
      expect(value(reg.lastGood(M, ALIAS))).toBe('v41');
    });

    it('never answers with the current version, even when it is marked good', () => {
      deploy('v40', 'v41');
      value(reg.markGood(M, 'v41', actor));
      expect(value(reg.lastGood(M, ALIAS))).toBe('v40');
    });

    it('ignores a good version registered after the current one', () => {
      deploy('v40', 'v41', 'v42');
      value(reg.register(M, 'v43'));
      value(reg.markGood(M, 'v43', actor));
      expect(value(reg.lastGood(M, ALIAS))).toBe('v41');
    });

    it('does not offer a version the alias was rolled back away from', () => {
      deploy('v40', 'v41', 'v42');
      value(reg.rollback(M, ALIAS, 'v40', { idempotencyKey: 'p1', actor, reason: 'v41 and v42 both bad' }));
      expect(value(reg.lastGood(M, ALIAS))).toBe('v41');
    });

    it('skips versions that are not READY', () => {
      deploy('v40', 'v41', 'v42');
      db.prepare("UPDATE registry_versions SET status = 'FAILED_REGISTRATION' WHERE version = 'v41'").run();
      expect(value(reg.lastGood(M, ALIAS))).toBe('v40');
    });

    it('is null when the alias never pointed anywhere else', () => {
      deploy('v40');
      expect(value(reg.lastGood(M, ALIAS))).toBeNull();
    });

    it('says when the alias or model is missing', () => {
      expect(reg.lastGood(M, ALIAS)).toMatchObject({ ok: false, code: 'unknown_model' });
      value(reg.register(M, 'v40'));
      expect(reg.lastGood(M, ALIAS)).toMatchObject({ ok: false, code: 'alias_not_set' });
    });
  });

  describe('rollback', () => {
    const key = { idempotencyKey: 'prop-1', actor: 'U0APPROVER', reason: 'accuracy 0.71 < 0.85' };

    it('moves the alias and records a rollback row with the key', () => {
      deploy('v40', 'v41');
      clock.advance(1_000);
      const r = value(reg.rollback(M, ALIAS, 'v40', key));
      expect(r).toEqual({ from: 'v41', to: 'v40', alreadyApplied: false, at: clock.now() });
      expect(value(reg.alias(M, ALIAS))).toMatchObject({ version: 'v40', deployedAt: clock.now() });
      expect(value(reg.history(M, ALIAS)).at(-1)).toMatchObject({
        kind: 'rollback',
        from: 'v41',
        to: 'v40',
        actor: 'U0APPROVER',
        reason: 'accuracy 0.71 < 0.85',
        idempotencyKey: 'prop-1',
      });
    });

    it('moves once for the same key twice, and the second call reports alreadyApplied', () => {
      deploy('v40', 'v41');
      value(reg.rollback(M, ALIAS, 'v40', key));
      const rows = value(reg.history(M, ALIAS)).length;
      expect(value(reg.rollback(M, ALIAS, 'v40', key))).toMatchObject({ from: 'v41', to: 'v40', alreadyApplied: true });
      expect(value(reg.history(M, ALIAS))).toHaveLength(rows);
    });

    it('does not move the alias again on a retried key after someone promoted since', () => {
      deploy('v40', 'v41');
      value(reg.rollback(M, ALIAS, 'v40', key));
      value(reg.promote(M, 'v41', { actor, reason: 'fixed upstream' }));
      expect(value(reg.rollback(M, ALIAS, 'v40', key)).alreadyApplied).toBe(true);
      expect(value(reg.alias(M, ALIAS)).version).toBe('v41');
    });

    it('refuses a key already used for another target, changing nothing', () => {
      deploy('v39', 'v40', 'v41');
      value(reg.rollback(M, ALIAS, 'v40', key));
      const before = snapshot();
      expect(reg.rollback(M, ALIAS, 'v39', key)).toMatchObject({ ok: false, code: 'idempotency_conflict' });
      expect(snapshot()).toEqual(before);
    });

    it.each([
      ['an unknown version', 'v99', 'unknown_version'],
      ['a version that is not READY', 'v-pending', 'version_not_ready'],
    ])('refuses %s and changes nothing', (_what, to, code) => {
      deploy('v40', 'v41');
      value(reg.register(M, 'v-pending', { status: 'PENDING_REGISTRATION' }));
      const before = snapshot();
      expect(reg.rollback(M, ALIAS, to, key)).toMatchObject({ ok: false, code });
      expect(snapshot()).toEqual(before);
    });

    it('refuses an unknown model or an unset alias', () => {
      expect(reg.rollback(M, ALIAS, 'v40', key)).toMatchObject({ ok: false, code: 'unknown_model' });
      value(reg.register(M, 'v40'));
      expect(reg.rollback(M, ALIAS, 'v40', key)).toMatchObject({ ok: false, code: 'alias_not_set' });
    });

    it('refuses with target_moved, changing nothing, when the alias is not where the caller expected', () => {
      deploy('v40', 'v41', 'v42');
      const before = snapshot();
      expect(reg.rollback(M, ALIAS, 'v40', { ...key, expectedFrom: 'v41' })).toMatchObject({ ok: false, code: 'target_moved', current: 'v42' });
      expect(snapshot()).toEqual(before);
      expect(value(reg.rollback(M, ALIAS, 'v40', { ...key, expectedFrom: 'v42' }))).toMatchObject({ from: 'v42', to: 'v40', alreadyApplied: false });
    });

    it('leaves the key free after a refusal, so a corrected retry can use it', () => {
      deploy('v40', 'v41');
      expect(reg.rollback(M, ALIAS, 'v99', key).ok).toBe(false);
      expect(value(reg.rollback(M, ALIAS, 'v40', key)).alreadyApplied).toBe(false);
    });

    it('binds the key even when the alias is already at the target', () => {
      deploy('v40', 'v41');
      value(reg.rollback(M, ALIAS, 'v41', key));
      const deployedAt = value(reg.alias(M, ALIAS)).deployedAt;
      expect(value(reg.rollback(M, ALIAS, 'v41', key)).alreadyApplied).toBe(true);
      expect(reg.rollback(M, ALIAS, 'v40', key)).toMatchObject({ ok: false, code: 'idempotency_conflict' });
      clock.advance(1_000);
      expect(value(reg.alias(M, ALIAS)).deployedAt).toEqual(deployedAt);
    });

    it('leaves the alias where it was when writing history fails mid-way', () => {
      deploy('v40', 'v41');
      db.exec("CREATE TRIGGER fail_rollback BEFORE INSERT ON registry_history WHEN NEW.kind = 'rollback' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
      expect(() => reg.rollback(M, ALIAS, 'v40', key)).toThrow(/disk full/);
      expect(value(reg.alias(M, ALIAS)).version).toBe('v41');
    });
  });

  describe('listVersions and history', () => {
    it('lists versions oldest first with their marks and aliases', () => {
      deploy('v40', 'v41');
      value(reg.markBad(M, 'v40', actor));
      value(reg.promote(M, 'v40', { alias: 'shadow', actor }));
      expect(value(reg.listVersions(M)).map((v) => [v.version, v.mark, v.aliases])).toEqual([
        ['v40', 'bad', ['shadow']],
        ['v41', null, ['production']],
      ]);
    });

    it('returns the history oldest first', () => {
      deploy('v40', 'v41');
      expect(value(reg.history(M, ALIAS)).map((h) => `${h.from ?? '-'}>${h.to}`)).toEqual(['->v40', 'v40>v41']);
    });

    it('says when the model is unknown', () => {
      expect(reg.listVersions(M)).toMatchObject({ ok: false, code: 'unknown_model' });
      expect(reg.history(M, ALIAS)).toMatchObject({ ok: false, code: 'unknown_model' });
    });
  });
});
