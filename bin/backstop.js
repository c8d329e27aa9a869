#!/usr/bin/env node
// In a checkout, run the TypeScript sources through tsx (never a stale build); installed, run the build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
if (existsSync(source)) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(pathToFileURL(source).href, import.meta.url);
} else {
  await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
}
