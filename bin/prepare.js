#!/usr/bin/env node
// `npm ci` / `npm install` in a clone run this (npm's `prepare`): it compiles src/ into dist/ so
// that `npm start` starts the compiled build (bin/start.js) at once. Skipped where there is nothing
// to compile yet (a Docker layer that has only package.json) or no compiler (a production install).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(join(root, 'src', 'main.ts')) || !existsSync(join(root, 'tsconfig.build.json')) || !existsSync(tsc)) {
  process.stdout.write('prepare: nothing to build here (no sources or no TypeScript); npm start will use what exists\n');
  process.exit(0);
}
// npm tells its scripts where it lives; outside npm, whatever npm is on the PATH.
const npm = process.env.npm_execpath;
const r = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  // A failed build must not fail the install: npm start falls back to the sources through tsx.
  process.stderr.write('prepare: the build failed; npm start will run the sources through tsx\n');
}
process.exit(0);
