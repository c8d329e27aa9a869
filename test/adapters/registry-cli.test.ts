import { beforeEach, describe, expect, it } from 'vitest';
import { runRegistryCommand } from '../../src/cli/registry.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';

describe('backstop registry', () => {
  let db: Db;
  let clock: FakeClock;
  let out: string[];
  let err: string[];

  const run = (line: string): number => {
    out = [];
    err = [];
    return runRegistryCommand(line.split(' ').filter(Boolean), { db, clock, out: (l) => out.push(l), err: (l) => err.push(l), actor: 'cli:alice' });
  };

  beforeEach(() => {
    db = openDb(':memory:');
    clock = new FakeClock('2025-03-01T12:00:00.000Z');
  });

  it('registers a version', () => {
    expect(run('registry register fraud-scorer v40 --source s3://models/40')).toBe(0);
    expect(out).toEqual(['registered fraud-scorer v40 (READY) from s3://models/40']);
    expect(err).toEqual([]);
  });

  it('accepts args without the leading "registry"', () => {
    expect(run('register fraud-scorer v40')).toBe(0);
    expect(out).toEqual(['registered fraud-scorer v40 (READY)']);
  });

  it('exits 1 with the reason when the version already exists', () => {
    run('registry register fraud-scorer v40');
    expect(run('registry register fraud-scorer v40')).toBe(1);
    expect(err).toEqual(['backstop registry register: fraud-scorer v40 is already registered (already_exists)']);
  });

  it('promotes and records the CLI user as actor', () => {
    run('registry register fraud-scorer v40');
    run('registry register fraud-scorer v41');
    expect(run('registry promote fraud-scorer v40')).toBe(0);
    expect(out).toEqual(['promoted fraud-scorer v40 to production (was unset)']);
    clock.advance(60_000);
    expect(run('registry promote fraud-scorer v41 --reason better-recall')).toBe(0);
    expect(out).toEqual(['promoted fraud-scorer v41 to production (was v40)']);
    expect(run('registry promote fraud-scorer v41')).toBe(0);
    expect(out).toEqual(['production of fraud-scorer already points at v41; nothing changed']);

    expect(run('registry history fraud-scorer')).toBe(0);
    expect(out).toEqual([
      '#  AT                        KIND     FROM  TO   ACTOR      REASON',
      '1  2025-03-01T12:00:00.000Z  promote  -     v40  cli:alice  promoted from the CLI',
      '2  2025-03-01T12:01:00.000Z  promote  v40   v41  cli:alice  better-recall',
    ]);
  });

  it('promotes to another alias and shows its history', () => {
    run('registry register fraud-scorer v40');
    expect(run('registry promote fraud-scorer v40 --alias staging')).toBe(0);
    expect(run('registry history fraud-scorer --alias staging')).toBe(0);
    expect(out).toHaveLength(2);
    expect(run('registry history fraud-scorer')).toBe(0);
    expect(out).toEqual(['alias production of fraud-scorer has no history']);
  });

  it('marks versions and lists them with marks and aliases', () => {
    run('registry register fraud-scorer v40 --source s3://models/40');
    clock.advance(60_000);
    run('registry register fraud-scorer v41');
    run('registry promote fraud-scorer v41');
    expect(run('registry mark-good fraud-scorer v40')).toBe(0);
    expect(out).toEqual(['marked fraud-scorer v40 good']);
    expect(run('registry mark-bad fraud-scorer v41')).toBe(0);
    expect(out).toEqual(['marked fraud-scorer v41 bad']);

    expect(run('registry list fraud-scorer')).toBe(0);
    expect(out).toEqual([
      'VERSION  STATUS  MARK  ALIASES     CREATED                   SOURCE',
      'v40      READY   good  -           2025-03-01T12:00:00.000Z  s3://models/40',
      'v41      READY   bad   production  2025-03-01T12:01:00.000Z  -',
    ]);
  });

  it('exits 1 for an unknown model or version', () => {
    expect(run('registry list nope')).toBe(1);
    expect(err).toEqual(['backstop registry list: no versions of nope are registered (unknown_model)']);
    run('registry register fraud-scorer v40');
    expect(run('registry mark-bad fraud-scorer v99')).toBe(1);
    expect(err[0]).toContain('(unknown_version)');
    expect(run('registry promote fraud-scorer v99')).toBe(1);
  });

  it.each([
    ['', 'usage: backstop registry'],
    ['registry frobnicate x', 'unknown command "frobnicate"'],
    ['registry register fraud-scorer', 'register takes <model> <version>'],
    ['registry list a b', 'list takes <model>'],
    ['registry list fraud-scorer --alias x', "Unknown option '--alias'"],
    ['registry promote fraud-scorer v1 --reason', "Option '--reason <value>' argument missing"],
  ])('exits 2 with usage for %j', (line, message) => {
    expect(run(line)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain('usage: backstop registry <command>');
    expect(out).toEqual([]);
  });

  it('prints usage on --help and exits 0', () => {
    expect(run('registry --help')).toBe(0);
    expect(out.join('\n')).toContain('history <model> [--alias production]');
  });
});
