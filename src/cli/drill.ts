/**
 * `backstop drill …`: game-day drills from the terminal.
 *
 *   backstop drill <scenario|file.yaml> [--speed N] [--console] [--workdir DIR] [--json] [--verbose]
 *   backstop drill report [--limit N] [--scenario NAME] [--json]
 *   backstop drill list
 *   backstop drill check FILE...
 *
 * A drill runs the real bot headless against the local Slack emulator, in its own temporary
 * database, and prints the drill channel as text plus the report; the report is also stored in
 * BACKSTOP_DB so `drill report` shows the trend. Exit code: 0 passed, 1 failed, 2 usage.
 */
import pino from 'pino';
import { parseEnv } from '../config/env.js';
import { listScenarios, loadScenario, scenarioDirs } from '../drills/catalog.js';
import { DrillReportRepo } from '../drills/report-store.js';
import { runDrill } from '../drills/run-drill.js';
import { loadScenarioFile } from '../drills/scenario.js';
import { renderReport, renderTrend } from '../drills/transcript.js';
import { createLogger } from '../log/logger.js';
import { openDb } from '../store/db.js';

export const DRILL_USAGE = `usage:
  backstop drill <scenario|FILE.yaml> [--speed N] [--console] [--workdir DIR] [--json] [--verbose]
                                     run a drill headless against the Slack emulator; prints the thread and the report
  backstop drill report [--limit N] [--scenario NAME] [--json]
                                     the last drills and their trend (BACKSTOP_DB)
  backstop drill list                the scenarios available (runbooks/drills)
  backstop drill check FILE...       validate scenario files; prints every problem with its path

  --speed N    play the scenario N times faster (approver delays, settle, backoff, Retry-After); default 1
  --console    serve the sandbox console so people can click Approve themselves (prints its URL)
  --workdir    where the drill's own database and postmortem go (default: a new temporary folder)`;

type Out = (line: string) => void;

interface Flags {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

const VALUE_FLAGS = new Set(['--speed', '--limit', '--scenario', '--workdir']);
const SWITCHES = new Set(['--console', '--json', '--verbose']);

function parseFlags(args: readonly string[]): Flags | string {
  const f: Flags = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_FLAGS.has(a)) {
      const v = args[++i];
      if (v === undefined) return `${a} needs a value`;
      f.values.set(a, v);
    } else if (SWITCHES.has(a)) {
      f.switches.add(a);
    } else if (a.startsWith('--')) {
      return `unknown option ${a}`;
    } else {
      f.positional.push(a);
    }
  }
  return f;
}

function positiveNumber(v: string | undefined, fallback: number): number | undefined {
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The whole command; resolves to the exit code. */
export async function drillCommand(args: readonly string[], env: Record<string, string | undefined>, out: Out, err: Out, cwd = process.cwd()): Promise<number> {
  const flags = parseFlags(args);
  if (typeof flags === 'string') {
    err(`${flags}\n${DRILL_USAGE}`);
    return 2;
  }
  const [verb, ...rest] = flags.positional;
  const dirs = scenarioDirs(cwd);
  const dbFile = () => {
    const e = parseEnv(env);
    return e.ok ? e.env.BACKSTOP_DB : (env.BACKSTOP_DB ?? 'backstop.db');
  };

  if (!verb) {
    err(DRILL_USAGE);
    return 2;
  }
  if (verb === 'list' && rest.length === 0) {
    const found = listScenarios(dirs);
    if (found.length === 0) out(`no scenarios found in ${dirs.join(', ')}`);
    for (const { name, file } of found) {
      const r = loadScenarioFile(file);
      out(r.ok ? `${name.padEnd(26)} ${r.scenario.title} (service ${r.scenario.service}; expects ${r.scenario.expect.outcome})` : `${name.padEnd(26)} INVALID: ${r.problems[0]?.path}: ${r.problems[0]?.message}`);
    }
    return 0;
  }
  if (verb === 'check') {
    if (rest.length === 0) {
      err('usage: backstop drill check FILE...');
      return 2;
    }
    let bad = 0;
    for (const file of rest) {
      const r = loadScenarioFile(file);
      if (r.ok) {
        out(`${file}: ok (${r.scenario.name}: ${r.scenario.title})`);
        continue;
      }
      bad++;
      for (const p of r.problems) err(`${file}: ${p.path}: ${p.message}`);
    }
    return bad > 0 ? 1 : 0;
  }
  if (verb === 'report' && rest.length === 0) {
    const limit = positiveNumber(flags.values.get('--limit'), 20);
    if (limit === undefined || !Number.isInteger(limit)) {
      err('--limit needs a whole number above 0');
      return 2;
    }
    const db = openDb(dbFile());
    try {
      const reports = new DrillReportRepo(db).recent(limit, flags.values.get('--scenario'));
      out(flags.switches.has('--json') ? JSON.stringify(reports, null, 2) : renderTrend(reports));
      return 0;
    } finally {
      db.close();
    }
  }
  if (rest.length > 0) {
    err(`unexpected argument(s): ${rest.join(' ')}\n${DRILL_USAGE}`);
    return 2;
  }

  // backstop drill <scenario>
  const loaded = loadScenario(verb, dirs);
  if (!loaded.ok) {
    for (const p of loaded.problems) err(`${loaded.file ?? verb}: ${p.path}: ${p.message}`);
    return loaded.file ? 1 : 2;
  }
  const speed = positiveNumber(flags.values.get('--speed'), 1);
  if (speed === undefined) {
    err('--speed needs a number above 0, e.g. 10');
    return 2;
  }
  const verbose = flags.switches.has('--verbose');
  // Logs go to stderr so stdout stays the transcript and the report.
  const logger = createLogger({ level: verbose ? 'debug' : 'silent', destination: pino.destination(2) });
  const reportDb = openDb(dbFile());
  try {
    const s = loaded.scenario;
    if (!flags.switches.has('--json')) out(`🧪 DRILL ${s.name}: ${s.title}\n   service ${s.service} runs as drill-${s.service} against the Slack emulator and a local registry; nothing real is touched.${speed === 1 ? '' : ` Speed ×${speed}.`}`);
    const run = await runDrill({
      scenario: s, timeScale: 1 / speed, logger, workDir: flags.values.get('--workdir'), console: flags.switches.has('--console'), reports: new DrillReportRepo(reportDb),
      onStarted: ({ consoleUrl, workDir }) => {
        if (consoleUrl) err(`sandbox console: ${consoleUrl} (click Approve as a person approver)`);
        if (verbose) err(`drill database and postmortems: ${workDir}`);
      },
    });
    if (flags.switches.has('--json')) {
      out(JSON.stringify(run.report, null, 2));
    } else {
      out(['', run.transcript, '', renderReport(run.report)].join('\n'));
    }
    return run.report.passed ? 0 : 1;
  } finally {
    reportDb.close();
  }
}

/**
 * Entry for `src/cli/backstop.ts`, whose `run` is synchronous: answers at once for usage errors
 * and otherwise sets `process.exitCode` when the drill is over (the open server keeps the
 * process alive until then).
 */
export function runDrillCli(args: readonly string[], env: Record<string, string | undefined>, out: Out, err: Out): number {
  drillCommand(args, env, out, err).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      err(`drill crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
  return 0;
}
