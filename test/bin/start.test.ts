import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript launcher without types
import { buildIsCurrent } from '../../bin/start.js';

const isCurrent = buildIsCurrent as (base: string) => boolean;

function checkout(files: Record<string, number>): string {
  const base = mkdtempSync(join(tmpdir(), 'backstop-start-'));
  for (const [path, seconds] of Object.entries(files)) {
    const file = join(base, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '');
    utimesSync(file, seconds, seconds);
  }
  return base;
}

describe('npm start (bin/start.js)', () => {
  it('runs the build when dist/main.js is newer than every file under src/', () => {
    expect(isCurrent(checkout({ 'dist/main.js': 2000, 'src/main.ts': 1000, 'src/app/deep/x.ts': 1500 }))).toBe(true);
  });

  it('runs the sources when any file under src/ changed after the build, however deep', () => {
    expect(isCurrent(checkout({ 'dist/main.js': 2000, 'src/main.ts': 1000, 'src/app/deep/x.ts': 2500 }))).toBe(false);
  });

  it('runs the sources when there is no build', () => {
    expect(isCurrent(checkout({ 'src/main.ts': 1000 }))).toBe(false);
  });

  it('runs the build in an install without sources', () => {
    expect(isCurrent(checkout({ 'dist/main.js': 1000 }))).toBe(true);
  });
});
