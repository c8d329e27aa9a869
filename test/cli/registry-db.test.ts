/** `npx backstop registry …` must not seed a database a typo made up. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backstop } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'backstop-registry-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('npx backstop registry and a missing database', () => {
  it('refuses register on a missing BACKSTOP_DB with exit 2 and creates nothing', () => {
    const dir = mkdtempSync(join(root, 'typo-'));
    const file = join(dir, 'backstop.dbb');
    const r = backstop(['registry', 'register', 'fraud-scorer', 'v41'], { BACKSTOP_DB: file });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no database at ${file} (BACKSTOP_DB); check the path, or pass --create to make a new one`);
    expect(readdirSync(dir)).toEqual([]);
    expect(backstop(['registry', 'list', 'fraud-scorer'], { BACKSTOP_DB: file }).code).toBe(2);
    expect(backstop(['registry'], { BACKSTOP_DB: file }).code).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates the database with --create, and then works on it without', () => {
    const file = join(mkdtempSync(join(root, 'new-')), 'backstop.db');
    const made = backstop(['registry', 'register', 'fraud-scorer', 'v41', '--create'], { BACKSTOP_DB: file });
    expect(made.err).toBe('');
    expect(made).toMatchObject({ code: 0, out: 'registered fraud-scorer v41 (READY)\n' });
    expect(existsSync(file)).toBe(true);
    const listed = backstop(['registry', 'list', 'fraud-scorer'], { BACKSTOP_DB: file });
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^v41\s+READY/m);
  });

  it('shows help without touching any database', () => {
    const dir = mkdtempSync(join(root, 'help-'));
    const r = backstop(['registry', 'help'], { BACKSTOP_DB: join(dir, 'backstop.db') });
    expect(r.code).toBe(0);
    expect(r.out).toContain('add --create to make it');
    expect(readdirSync(dir)).toEqual([]);
  });
});
