/**
 * Operator commands: `backstop config check FILE`, `backstop audit verify`,
 * `backstop registry …`. Each prints plain lines and exits non-zero on failure.
 */
import { parseEnv } from '../config/env.js';
import { loadPolicyFile } from '../config/policy.js';
import { systemClock } from '../runtime/system-clock.js';
import { AuditLog } from '../store/audit-log.js';
import { openDb } from '../store/db.js';
import { runRegistryCommand } from './registry.js';

const USAGE = `usage:
  backstop config check FILE     validate a policy file; prints every problem with its path
  backstop audit verify          check the audit trail's hash chain (BACKSTOP_DB)
  backstop registry …            manage the embedded local model registry (run without args for help)
  backstop drill <scenario>      run a game-day drill headless against the local Slack emulator
  backstop drill report|list     recent drills and their trend; shipped scenarios`;

export function run(argv: string[], env: Record<string, string | undefined>, out: (l: string) => void, err: (l: string) => void): number {
  const [group, verb, ...rest] = argv;
  const dbFile = () => {
    const e = parseEnv(env);
    return e.ok ? e.env.BACKSTOP_DB : (env.BACKSTOP_DB ?? 'backstop.db');
  };
  if (group === 'config' && verb === 'check') {
    const file = rest[0];
    if (!file) {
      err('usage: backstop config check FILE');
      return 2;
    }
    const r = loadPolicyFile(file);
    if (!r.ok) {
      for (const p of r.problems) err(`${file}: ${p.path}: ${p.message}`);
      err(`${r.problems.length} problem(s) found`);
      return 1;
    }
    out(`${file}: ok (${Object.keys(r.policy.services).length} service(s): ${Object.keys(r.policy.services).join(', ')})`);
    return 0;
  }
  if (group === 'audit' && verb === 'verify') {
    const db = openDb(dbFile());
    try {
      const r = new AuditLog(db).verify();
      if (r.ok) {
        out(`audit chain ok: ${r.rows} row(s) verified`);
        return 0;
      }
      err(`audit chain BROKEN at row ${r.brokenAt}: ${r.reason}`);
      return 1;
    } finally {
      db.close();
    }
  }
  if (group === 'registry') {
    const db = openDb(dbFile());
    try {
      return runRegistryCommand(argv.slice(1), { db, clock: systemClock, out, err, actor: `cli:${env.USER ?? 'unknown'}` });
    } finally {
      db.close();
    }
  }
  if (group === 'drill') { void import('./drill.js').then((m) => m.runDrillCli(argv.slice(1), env, out, err)); return 0; }
  err(USAGE);
  return 2;
}
