/**
 * Operator commands: `backstop config check FILE`, `backstop audit verify|head`,
 * `backstop registry …`. Each prints plain lines and exits non-zero on failure.
 */
import { parseEnv } from '../config/env.js';
import { loadPolicyFile } from '../config/policy.js';
import { missingSecrets, secretRequirements } from '../config/secrets.js';
import { systemClock } from '../runtime/system-clock.js';
import { MissingDatabaseError, openDb, openExistingDb, type Db } from '../store/db.js';
import { missingDbMessage, runAuditCommand } from './audit.js';
import { runRegistryCommand } from './registry.js';

const USAGE = `usage:
  backstop config check FILE     validate a policy file and that the secrets it names are set (--file-only: the file alone)
  backstop audit verify [--head FILE]
                                 check the audit trail (BACKSTOP_DB) with BACKSTOP_AUDIT_KEY: MACs, links,
                                 time order and the anchored head; exit 0 ok, 1 broken, 2 cannot check
  backstop audit head            print the verified chain head as JSON, to keep outside the database
  backstop registry …            manage the embedded local model registry (run without args for help;
                                 --create to make BACKSTOP_DB if it does not exist)
  backstop drill <scenario>      run a game-day drill headless against the local Slack emulator
  backstop drill report|list     recent drills and their trend; shipped scenarios
  backstop migrate-store --from FILE [--to URL]
                                 copy a SQLite database's shared state into an empty PostgreSQL schema
                                 (--to or BACKSTOP_DATABASE_URL) in one transaction, then verify its audit chain
  backstop backtest --policy FILE --service NAME --deploy-at ISO (--series FILE | --from ISO --to ISO)
                                 replay recorded SLI data through the bot's analysis: what it would have done`;

export function run(argv: string[], env: Record<string, string | undefined>, out: (l: string) => void, err: (l: string) => void): number {
  const [group, verb, ...rest] = argv;
  const dbFile = () => {
    const e = parseEnv(env);
    return e.ok ? e.env.BACKSTOP_DB : (env.BACKSTOP_DB ?? 'backstop.db');
  };
  if (group === 'config' && verb === 'check') {
    // --file-only: check the file alone, e.g. in CI where the adapters' secrets are not present.
    const fileOnly = rest.includes('--file-only');
    const file = rest.find((a) => !a.startsWith('--'));
    if (!file) {
      err('usage: backstop config check FILE [--file-only]');
      return 2;
    }
    const r = loadPolicyFile(file);
    const problems = r.ok ? (fileOnly ? [] : missingSecrets(r.policy, env)) : r.problems;
    if (problems.length > 0) {
      for (const p of problems) err(`${file}: ${p.path}: ${p.message}`);
      err(`${problems.length} problem(s) found${r.ok ? ' (secrets are read from this environment; --file-only checks the file alone)' : ''}`);
      return 1;
    }
    if (!r.ok) return 1;
    const secrets = fileOnly ? 'secrets not checked (--file-only)' : `${secretRequirements(r.policy).length} secret variable(s) set`;
    out(`${file}: ok (${Object.keys(r.policy.services).length} service(s): ${Object.keys(r.policy.services).join(', ')}; ${secrets})`);
    return 0;
  }
  if (group === 'audit') {
    // Several replicas keep the chain in PostgreSQL: check it there.
    if (env.BACKSTOP_DATABASE_URL) {
      const url = env.BACKSTOP_DATABASE_URL;
      void import('./audit-postgres.js').then((m) => m.runAuditPostgresCli(argv.slice(1), { url, key: env.BACKSTOP_AUDIT_KEY, headFile: env.BACKSTOP_AUDIT_HEAD || undefined }, out, err));
      return 0;
    }
    return runAuditCommand(argv.slice(1), { dbFile: dbFile(), key: env.BACKSTOP_AUDIT_KEY, headFile: env.BACKSTOP_AUDIT_HEAD || undefined, out, err });
  }
  if (group === 'registry') {
    // A mistyped BACKSTOP_DB must not become a new database that `register` then seeds.
    const args = argv.slice(1).filter((a) => a !== '--create');
    const create = args.length < argv.length - 1;
    const file = dbFile();
    let db: Db | undefined;
    try {
      return runRegistryCommand(args, { db: () => (db = create ? openDb(file) : openExistingDb(file)), clock: systemClock, out, err, actor: `cli:${env.USER ?? 'unknown'}` });
    } catch (e) {
      if (!(e instanceof MissingDatabaseError)) throw e;
      err(missingDbMessage(file, true));
      return 2;
    } finally {
      db?.close();
    }
  }
  if (group === 'backtest') { void import('../backtest/cli.js').then((m) => m.runBacktestCli(argv.slice(1), out, err)); return 0; }
  if (group === 'migrate-store') { void import('./migrate-store.js').then((m) => m.runMigrateStoreCli(argv.slice(1), env, out, err)); return 0; }
  if (group === 'drill') { void import('./drill.js').then((m) => m.runDrillCli(argv.slice(1), env, out, err)); return 0; }
  err(USAGE);
  return 2;
}
