/**
 * The tests run from a clone of this repository alone: nothing under src/ or test/ may read a
 * folder beside the checkout (captures live in test/fixtures/, described in its README.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures');

// Built from parts so that this file does not match itself.
const SHARED = 'shared';
const FORBIDDEN = [new RegExp(`\\.\\./${SHARED}\\b`), new RegExp(`${SHARED}[\\\\/]fixtures`)];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : files(path);
    return e.isFile() ? [path] : [];
  });
}

describe('the repository is self-contained', () => {
  it('no file under src/ or test/ refers to a shared folder beside the checkout', () => {
    const offenders: string[] = [];
    for (const file of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'test'))]) {
      if (statSync(file).size > 5_000_000) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (FORBIDDEN.some((re) => re.test(line))) offenders.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('every file in test/fixtures/ is described in its README.md', () => {
    const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
    const undescribed = files(FIXTURES)
      .map((f) => relative(FIXTURES, f).split('\\').join('/'))
      .filter((f) => f !== 'README.md' && !readme.includes(`\`${f.split('/').pop()}\``));
    expect(undescribed).toEqual([]);
  });
});
