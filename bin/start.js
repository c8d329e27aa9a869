#!/usr/bin/env node
// `npm start`: the compiled build (dist/, `npm run build`) when it is present and newer than every
// file under src/, which starts in about half the time and memory of tsx; otherwise the sources
// through tsx, so an edit is never shadowed by a stale build. One process either way.
import { existsSync, readdirSync, statSync } from 'node:fs';
import process from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time of any file under `dir` (0 when there is none). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Whether dist/ holds a build at least as new as the sources (exported for the benchmark and tests). */
export function buildIsCurrent(base = root) {
  const built = join(base, 'dist', 'main.js');
  if (!existsSync(built)) return false;
  if (!existsSync(join(base, 'src'))) return true;
  return statSync(built).mtimeMs >= newest(join(base, 'src'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (buildIsCurrent()) {
    await import(pathToFileURL(join(root, 'dist', 'main.js')).href);
  } else {
    if (existsSync(join(root, 'dist', 'main.js'))) process.stderr.write('dist/ is older than src/: running the sources through tsx (npm run build to start faster)\n');
    const { tsImport } = await import('tsx/esm/api');
    await tsImport(pathToFileURL(join(root, 'src', 'main.ts')).href, import.meta.url);
  }
}
