/**
 * `backstop backtest`: what would Backstop have done with last week's data? Replays a recorded
 * series (or a Prometheus history) through the bot's own analysis and prints each interval's
 * measurements and decisions and a summary, or JSON. Exit 0 replayed, 1 could not fetch, 2 bad input.
 */
import { readFileSync } from 'node:fs';
import { loadPolicyFile, resolveService } from '../config/policy.js';
import { needsSamples } from '../domain/judge.js';
import { fetchHistory } from './prometheus-history.js';
import { renderText } from './render-text.js';
import { BacktestError, runBacktest } from './run-backtest.js';
import { parseIsoTime, parseSeriesCsv, type SeriesRow } from './series.js';

export const BACKTEST_USAGE = `usage:
  backstop backtest --policy FILE --service NAME --deploy-at ISO (--series FILE | --from ISO --to ISO)
                    [--baseline FILE] [--previous VERSION] [--deployed VERSION] [--json]

  --series FILE     recorded SLIs as CSV "at,sli,value" (ISO time; empty value = no data;
                    error = the provider failed; NaN = no data)
  --from/--to ISO   instead of --series: fetch the history from the policy's Prometheus
                    (query_range at the service's decision.interval)
  --deploy-at ISO   when the version under test was deployed; rows before it are the baseline
  --baseline FILE   pre-deploy data in the same format, instead of the series' rows before --deploy-at
  --previous/--deployed   version names shown in the replay (default: previous, deployed)
  --json            {"events": [{"at","type","reason",…}], "measurements": […], "posted": […]}`;

type Out = (line: string) => void;

const VALUE_FLAGS = new Set(['--policy', '--service', '--series', '--baseline', '--deploy-at', '--from', '--to', '--previous', '--deployed']);

class UsageError extends Error {
  /** Whether the usage text helps (a flag is wrong), or only the message does (a file is). */
  constructor(message: string, readonly showUsage = false) {
    super(message);
  }
}

function parseFlags(args: readonly string[]): { values: Map<string, string>; json: boolean } {
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (VALUE_FLAGS.has(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`, true);
      values.set(a, v);
    } else throw new UsageError(`unknown ${a.startsWith('--') ? 'option' : 'argument'} ${a}`, true);
  }
  return { values, json };
}

function isoFlag(values: Map<string, string>, flag: string): Date | undefined {
  const text = values.get(flag);
  if (text === undefined) return undefined;
  const ms = parseIsoTime(text);
  if (ms === undefined) throw new UsageError(`${flag} "${text}" is not an ISO 8601 time with a zone; write it like 2025-03-04T10:00:00Z`);
  return new Date(ms);
}

function readCsv(file: string, slis: readonly string[]): SeriesRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const r = parseSeriesCsv(text, slis);
  if (!r.ok) throw new UsageError(r.problems.map((p) => `${file}: line ${p.line}${p.column ? `, column ${p.column} (${['at', 'sli', 'value'][p.column - 1]})` : ''}: ${p.message}`).join('\n'));
  return r.rows;
}

/** The whole command; resolves to the exit code. */
export async function backtestCommand(args: readonly string[], out: Out, err: Out): Promise<number> {
  try {
    return await backtest(args, out, err);
  } catch (e) {
    if (e instanceof UsageError || e instanceof BacktestError) {
      err(e.message);
      if (e instanceof UsageError && e.showUsage) err(BACKTEST_USAGE);
      return 2;
    }
    throw e;
  }
}

async function backtest(args: readonly string[], out: Out, err: Out): Promise<number> {
  const { values, json } = parseFlags(args);
  const policyFile = values.get('--policy');
  const service = values.get('--service');
  const deployAt = isoFlag(values, '--deploy-at');
  const from = isoFlag(values, '--from');
  const to = isoFlag(values, '--to');
  const seriesFile = values.get('--series');
  if (!policyFile || !service || !deployAt) throw new UsageError('give --policy FILE, --service NAME and --deploy-at ISO', true);
  if (!seriesFile === !(from || to)) throw new UsageError('give either --series FILE or --from ISO --to ISO (not both)', true);
  if (!seriesFile && (!from || !to)) throw new UsageError('give both --from ISO and --to ISO', true);
  if (from && to && !(from < deployAt && deployAt < to)) throw new UsageError(`--deploy-at ${deployAt.toISOString()} must lie between --from and --to`);

  const loaded = loadPolicyFile(policyFile);
  if (!loaded.ok) throw new UsageError(loaded.problems.map((p) => `${policyFile}: ${p.path}: ${p.message}`).join('\n'));
  const svc = resolveService(loaded.policy, service);
  if (!svc) throw new UsageError(`${policyFile}: no service "${service}" (the policy has: ${Object.keys(loaded.policy.services).join(', ')})`);
  const slis = svc.slis.map((s) => s.name);

  let rows: SeriesRow[];
  if (seriesFile) {
    rows = readCsv(seriesFile, slis);
  } else {
    const fetched = await fetchHistory(loaded.policy, svc, from!, to!);
    if (!fetched.ok) {
      err(`cannot fetch the history: ${fetched.message}`);
      return 1;
    }
    rows = fetched.rows;
  }
  const deployMs = deployAt.getTime();
  const baselineFile = values.get('--baseline');
  if (baselineFile) {
    const baseline = readCsv(baselineFile, slis);
    const late = baseline.find((r) => r.at >= deployMs);
    if (late) throw new UsageError(`${baselineFile}: line ${late.line}, column 1 (at): ${new Date(late.at).toISOString()} is not before --deploy-at ${deployAt.toISOString()}; the baseline is pre-deploy data only`);
    const ignored = rows.filter((r) => r.at < deployMs).length;
    if (ignored > 0) err(`note: ${ignored} row(s) of the series before --deploy-at are ignored; the baseline comes from ${baselineFile}`);
    rows = [...baseline, ...rows.filter((r) => r.at >= deployMs)];
  }
  const after = rows.filter((r) => r.at > deployMs);
  if (after.length === 0) throw new UsageError(`${seriesFile ?? 'the fetched history'}: no rows after --deploy-at ${deployAt.toISOString()}; there is nothing to replay`);
  const missing = slis.filter((s) => !after.some((r) => r.sli === s));
  if (missing.length > 0) throw new UsageError(`${seriesFile ?? 'the fetched history'}: no rows after --deploy-at for SLI(s) ${missing.join(', ')}; add rows like "${deployAt.toISOString()},${missing[0]},<value>" (an empty value means no data)`);
  const needBaseline = svc.slis.filter((s) => (s.judge !== undefined && s.judge.kind !== 'absolute') || needsSamples(s.judge)).filter((s) => !rows.some((r) => r.sli === s.name && r.at < deployMs)).map((s) => s.name);
  if (needBaseline.length > 0) err(`note: no pre-deploy rows for ${needBaseline.join(', ')}; its judge compares with the baseline and will find none (give --baseline FILE or rows before --deploy-at)`);

  const result = await runBacktest({
    policy: loaded.policy, service, rows, deployAt,
    versions: { previous: values.get('--previous'), deployed: values.get('--deployed') },
  });
  if (json) out(JSON.stringify({ events: result.events, measurements: result.measurements, posted: result.posted }, null, 2));
  else for (const line of renderText(result, svc.decision!)) out(line);
  return 0;
}

/** For the dispatcher: runs the command and sets the exit code when it is done. */
export function runBacktestCli(args: readonly string[], out: Out, err: Out): number {
  backtestCommand(args, out, err).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      err(`backtest crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
  return 0;
}
