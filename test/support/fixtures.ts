/**
 * Captured payloads kept in the repository (test/fixtures/, see its README.md): a clone alone
 * has everything the tests read.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../fixtures/', import.meta.url);

/** Absolute path of `test/fixtures/<path>`, e.g. `fixture('prometheus/vector-empty.json')`. */
export function fixture(path: string): string {
  const url = new URL(path, ROOT);
  if (!url.href.startsWith(ROOT.href)) throw new Error(`fixture ${path} is outside test/fixtures/`);
  return fileURLToPath(url);
}

/** The text of `test/fixtures/<path>`. */
export function fixtureText(path: string): string {
  return readFileSync(fixture(path), 'utf8');
}

/** `test/fixtures/<path>` parsed as JSON (untyped, as `JSON.parse` returns it: tests poke at it freely). */
export function fixtureJson(path: string) {
  return JSON.parse(fixtureText(path));
}

/** The body of a captured Alertmanager delivery (`test/fixtures/alertmanager/<name>` holds `{headers, body}`). */
export function alertmanagerDelivery(name: string) {
  return fixtureJson(`alertmanager/${name}`).body;
}
