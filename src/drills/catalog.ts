/** Finding scenarios: a path to a YAML file, or a name looked up in the scenario folders. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, type ScenarioResult } from './scenario.js';

/** `runbooks/drills` of this package (works from `src/` and from `dist/`). */
export const SHIPPED_SCENARIO_DIR = fileURLToPath(new URL('../../runbooks/drills/', import.meta.url));

export function scenarioDirs(cwd: string, extra: readonly string[] = []): string[] {
  return [...new Set([...extra.map((d) => resolve(cwd, d)), resolve(cwd, 'runbooks/drills'), resolve(SHIPPED_SCENARIO_DIR)])];
}

export function findScenarioFile(ref: string, dirs: readonly string[]): string | undefined {
  if (/\.ya?ml$/.test(ref) || ref.includes('/')) return existsSync(ref) ? ref : undefined;
  for (const dir of dirs) {
    for (const ext of ['yaml', 'yml']) {
      const file = join(dir, `${ref}.${ext}`);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

export function loadScenario(ref: string, dirs: readonly string[]): ScenarioResult & { file?: string } {
  const file = findScenarioFile(ref, dirs);
  if (!file) return { ok: false, problems: [{ path: '(scenario)', message: `no scenario "${ref}" (looked in ${dirs.join(', ')})` }] };
  return { ...loadScenarioFile(file), file };
}

/** Every scenario name across the folders; the first folder holding a name wins. */
export function listScenarios(dirs: readonly string[]): { name: string; file: string }[] {
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const m = /^(.+)\.ya?ml$/.exec(f);
      if (m?.[1] && !seen.has(m[1])) seen.set(m[1], join(dir, f));
    }
  }
  return [...seen].map(([name, file]) => ({ name, file }));
}
