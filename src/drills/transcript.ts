/**
 * Text renderings for the terminal: the drill channel as a person would have read it in Slack,
 * the drill report, and the trend of recent drills. Pure functions of their inputs.
 */
import { sparkline } from '../domain/sparkline.js';
import type { EphemeralMessage, SlackMessage } from '../sandbox/slack-emulator.js';
import { formatMs, type DrillReport } from './report.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const textOf = (v: unknown): string => (isRec(v) && typeof v.text === 'string' ? v.text : '');

/** Block Kit to plain lines: sections, fields, context, headers and buttons. */
export function blocksToText(blocks: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    if (!isRec(b)) continue;
    switch (b.type) {
      case 'header':
        out.push(`== ${textOf(b.text)} ==`);
        break;
      case 'section': {
        const t = textOf(b.text);
        if (t) out.push(...t.split('\n'));
        // Fields read "*Label*\nvalue": one line each, as Slack lays them out in two columns.
        if (Array.isArray(b.fields)) out.push(...b.fields.map(textOf).filter(Boolean).map((f) => f.replace(/\n/g, ' ')));
        break;
      }
      case 'context':
        if (Array.isArray(b.elements)) out.push(`  (${b.elements.map(textOf).filter(Boolean).join(' · ')})`);
        break;
      case 'actions':
        if (Array.isArray(b.elements)) out.push(b.elements.map((e) => `[${textOf(isRec(e) ? e.text : undefined)}]`).join(' '));
        break;
      case 'divider':
        out.push('────');
        break;
      case 'rich_text':
      case 'image':
        break;
      default:
        break;
    }
  }
  return out;
}

function clip(lines: string[], max: number): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `… (${lines.length - max} more lines)`];
}

export interface TranscriptInput {
  channelName: string;
  /** Top-level messages, each with its replies (parent first), in order. */
  threads: SlackMessage[][];
  ephemerals: readonly EphemeralMessage[];
  /** Slack user id → handle, for readable mentions. */
  names: ReadonlyMap<string, string>;
  botUserId: string;
  maxLinesPerMessage?: number;
}

export function renderTranscript(t: TranscriptInput): string {
  const max = t.maxLinesPerMessage ?? 30;
  const who = (m: SlackMessage) => (m.bot_id || m.user === t.botUserId ? 'backstop' : (t.names.get(m.user ?? '') ?? m.user ?? '?'));
  // Mentions by name, Slack date tokens as their fallback (UTC), links as their text.
  const mentions = (s: string) => s.replace(/<@([UW][A-Z0-9]+)>/g, (_, id: string) => `@${t.names.get(id) ?? id}`)
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1').replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)');
  const body = (m: SlackMessage) => clip((m.blocks && m.blocks.length > 0 ? blocksToText(m.blocks) : m.text.split('\n')).map(mentions), max);
  const time = (ts: string) => new Date(Number(ts) * 1000).toISOString().slice(11, 23);
  const lines = [`#${t.channelName}`];
  for (const [parent, ...replies] of t.threads) {
    if (!parent) continue;
    const [first = '', ...rest] = body(parent);
    lines.push(`[${time(parent.ts)}] ${who(parent)}: ${first}`, ...rest.map((l) => `    ${l}`));
    for (const r of replies) {
      const [rf = '', ...rr] = body(r);
      lines.push(`    ↳ [${time(r.ts)}] ${who(r)}: ${rf}`, ...rr.map((l) => `        ${l}`));
    }
  }
  if (t.ephemerals.length > 0) {
    lines.push('', 'Only visible to one person:');
    for (const e of t.ephemerals) lines.push(`  → @${t.names.get(e.user) ?? e.user}: ${mentions(e.text)}`);
  }
  return lines.join('\n');
}

export function renderReport(r: DrillReport): string {
  const t = r.timings;
  const row = (label: string, value: string) => `  ${label.padEnd(22)} ${value}`;
  return [
    `DRILL REPORT ${r.id}: ${r.scenario} (${r.title})`,
    `service ${r.service}, ran as ${r.drillService}; ${r.startedAt} → ${r.finishedAt}`,
    `result: ${r.passed ? 'PASSED' : 'FAILED'}; outcome ${r.outcome} (expected ${r.expected})`,
    'timings',
    row('detection → proposal', formatMs(t.detectionToProposalMs)),
    row('proposal → in Slack', formatMs(t.proposalToPostedMs)),
    row('proposal → approval', formatMs(t.proposalToApprovalMs)),
    row('approval → executed', formatMs(t.approvalToExecutedMs)),
    row('executed → verified', formatMs(t.executedToVerifiedMs)),
    row('time to safety', formatMs(t.timeToSafetyMs)),
    `execution: ${r.attempts === null ? 'not attempted' : `${r.attempts} attempt(s), ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}`}`,
    `SLIs: before ${r.sliBefore ?? '—'}, after ${r.sliAfter ?? '—'}`,
    `faults: ${r.faults.length === 0 ? 'none' : ''}`,
    ...r.faults.map((f) => `  ${f.kind}: ${f.detail}; met ${f.observed} time(s)`),
    'checks',
    ...r.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`),
    `audit rows: ${r.auditRows}; postmortem: ${r.postmortemPath ?? 'none'}`,
  ].join('\n');
}

/** The last drills, newest first, then per scenario: pass rate and the time-to-safety trend (oldest → newest). */
export function renderTrend(reports: readonly DrillReport[]): string {
  if (reports.length === 0) return 'No drills recorded yet. Run one: npx backstop drill <scenario>';
  const lines = [
    `Last ${reports.length} drill(s), newest first`,
    `${'started'.padEnd(24)} ${'scenario'.padEnd(26)} ${'outcome'.padEnd(14)} ${'result'.padEnd(7)} ${'safety'.padEnd(10)} retries`,
    ...reports.map((r) => `${r.startedAt.padEnd(24)} ${r.scenario.padEnd(26)} ${r.outcome.padEnd(14)} ${(r.passed ? 'pass' : 'FAIL').padEnd(7)} ${formatMs(r.timings.timeToSafetyMs).padEnd(10)} ${r.retries ?? '—'}`),
    '',
    'Per scenario (oldest → newest)',
  ];
  const byScenario = new Map<string, DrillReport[]>();
  for (const r of [...reports].reverse()) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  for (const [name, rs] of byScenario) {
    const passed = rs.filter((r) => r.passed).length;
    const safety = rs.map((r) => r.timings.timeToSafetyMs);
    const known = safety.filter((x): x is number => x !== null);
    const last = rs.at(-1)!;
    const spark = known.length > 1 ? ` ${sparkline(safety, Math.min(20, safety.length))}` : '';
    lines.push(`  ${name.padEnd(26)} ${passed}/${rs.length} passed; last ${last.passed ? 'pass' : 'FAIL'}; time to safety ${known.length ? formatMs(known.at(-1)!) : '—'}${spark}`);
  }
  return lines.join('\n');
}
