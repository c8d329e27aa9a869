import { fmt } from '../domain/sli.js';
import type { BacktestEvent } from './outcome.js';
import type { BacktestResult } from './run-backtest.js';

const GUARD_NAMES: Record<string, string> = {
  cooldown: 'cool-down', daily_limit: 'daily limit', ping_pong: 'ping-pong', freeze: 'freeze window',
  open_proposal: 'open proposal', no_target: 'no known-good version', target_error: 'unreadable target',
};

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

const PAD = ' '.repeat(26);

/** The replay for people: each interval's measurements and decisions, then a summary. */
export function renderText(r: BacktestResult, decision: { failureLimit: number; inconclusiveLimit: number; consecutiveErrorLimit: number; grace: number; cooldown: number; maxAutomaticPerDay: number }): string[] {
  const out: string[] = [];
  out.push(`Backtest of ${r.service} (${r.mode} mode): ${r.versions.previous} → ${r.versions.deployed} deployed at ${r.deployAt}, replayed to ${r.end}`);
  out.push(`  analysis every ${duration(r.intervalMs)} from the deploy; failureLimit ${decision.failureLimit}, inconclusiveLimit ${decision.inconclusiveLimit}, consecutiveErrorLimit ${decision.consecutiveErrorLimit}, grace ${duration(decision.grace)}, cooldown ${duration(decision.cooldown)}, maxAutomaticPerDay ${decision.maxAutomaticPerDay}`);
  out.push('');
  // Grouped by instant once: a week at 1m is ten thousand passes.
  const byTime = new Map<string, string[]>();
  const add = (at: string, s: string) => {
    const lines = byTime.get(at) ?? [];
    lines.push(s);
    byTime.set(at, lines);
  };
  for (const m of r.measurements) add(m.at, `${m.sli} ${fmt(m.value)} ${m.verdict === 'ok' ? 'ok' : m.verdict.toUpperCase()}: ${m.reason}`);
  for (const d of r.decisions) if (d.at >= r.deployAt) add(d.at, `→ ${d.action}: ${d.text.split('\n')[0]}`);
  const times = [...byTime.keys()].sort();
  for (const at of times) byTime.get(at)!.forEach((s, i) => out.push(`${i === 0 ? at.padEnd(26) : PAD}${s}`));
  if (times.length === 0) out.push('(no analysis pass ran: nothing recorded after the deploy within the replay)');
  out.push('', 'Summary');
  const first = (type: BacktestEvent['type']) => r.events.filter((e) => e.type === type);
  const triggers = first('trigger');
  out.push(...list('triggered at', triggers, (e) => `${e.reason} (${e.proposal}: ${e.from ?? 'unknown'} → ${e.to}, ${e.automatic ? 'automatic after the grace period' : 'waiting for approvers: nobody approves in a replay'})`));
  out.push(...list('escalated at', first('escalate'), (e) => e.reason));
  out.push(...list('rolled back at', first('rollback'), (e) => e.reason));
  out.push(...list('refused at', first('refused'), (e) => `${e.guard ? `by the ${GUARD_NAMES[e.guard] ?? e.guard} guard: ` : ''}${e.reason}`));
  const passes = new Set(r.measurements.map((m) => m.at)).size;
  const lastPass = r.measurements.at(-1)?.at;
  out.push(`  ${passes} analysis pass(es)${lastPass ? `, the last at ${lastPass}` : ''}${lastPass && lastPass < r.end ? ' (bake window over and no incident open: analysis stopped, as in production)' : ''}; ${r.posted.length} Slack message(s) would have been posted`);
  return out;
}

function list(label: string, events: BacktestEvent[], text: (e: BacktestEvent) => string): string[] {
  if (events.length === 0) return [`  ${label.padEnd(15)} never`];
  return events.map((e, i) => `  ${(i === 0 ? label : '').padEnd(15)} ${e.at}  ${text(e)}`);
}
