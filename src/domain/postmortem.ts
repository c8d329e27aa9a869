/**
 * Renders the postmortem draft as markdown from stored facts only; nothing here is invented.
 * People appear by display name (resolved by the caller and passed in), never as raw ids.
 */
import type { AuditEntry } from './audit.js';
import { describeStep } from './describe-step.js';
import { peopleIn, plainText } from './said.js';
import { comparatorSymbol, fmt } from './sli.js';
import type { StepFact } from './step-fact.js';
import { formatDuration, mainProposal, postmortemSummary, stateWords, withUnit, type PostmortemInput, type SummarySli } from './postmortem-summary.js';

export { formatDuration, timings, type PostmortemInput, type PostmortemTimings } from './postmortem-summary.js';

/** What a Slack user id looks like, as an actor or a proposal's requester (not `backstop`, `alert`). */
const USER_ID = /^[UW][0-9A-Z]+$/;

function factOf(e: AuditEntry): StepFact | undefined {
  const f = e.details.fact as { action?: unknown } | undefined;
  return f && typeof f.action === 'string' ? (f as StepFact) : undefined;
}

/** Every user id the draft mentions: whom the caller must find a name for. */
export function peopleOfPostmortem(input: Omit<PostmortemInput, 'names'>): string[] {
  const ids = new Set<string>();
  const add = (id: string | null | undefined) => {
    if (id && USER_ID.test(id)) ids.add(id);
  };
  add(input.incident.resolvedBy);
  for (const p of input.proposals) {
    add(p.requestedBy);
    add(p.decidedBy);
    for (const a of p.approvals) add(a.user);
  }
  for (const e of input.audit) {
    add(e.actor);
    const f = factOf(e);
    const words = f && f.action !== 'postmortem.drafted' ? describeStep(f) : undefined;
    if (Array.isArray(words)) for (const id of peopleIn(words)) add(id);
  }
  return [...ids];
}

/** "2025-03-01 12:00:30": to the second, UTC, without milliseconds. */
function utc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19).replace('T', ' ');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function sliTable(rows: readonly SummarySli[]): string[] {
  const out = ['| SLI | baseline | before rollback | after rollback | breach when | verdict after |', '|---|---|---|---|---|---|'];
  for (const s of rows) {
    const v = (x: number | null) => withUnit(x, s.unit, fmt);
    out.push(`| ${s.name} | ${v(s.baseline)} | ${v(s.before)} (${stateWords(s.verdictBefore)}) | ${s.after === null && s.verdictAfter === null ? '—' : v(s.after)} | ${comparatorSymbol(s.comparator)} ${v(s.threshold)} | ${s.verdictAfter ? stateWords(s.verdictAfter) : 'not measured'} |`);
  }
  return out;
}

export function renderPostmortem(input: PostmortemInput): string {
  const { incident } = input;
  const names = input.names ?? {};
  const nameOf = (id: string) => names[id];
  const person = (id: string | null | undefined) => (id ? (names[id] ?? id) : 'nobody');
  // Text stored before names were known may carry ids: name the people it mentions.
  const named = (text: string) => text.replace(/\b[UW][0-9A-Z]+\b/g, (id) => names[id] ?? id);
  const s = postmortemSummary(input);
  const t = s.timings;
  const main = mainProposal(input.proposals);
  const outcome = main ? `Rollback of ${main.service} ${main.fromVersion ?? 'unknown'} → ${main.toVersion}: ${stateWords(main.state)}.` : 'No rollback was proposed.';
  const impactEnd = s.impact.end ? utc(s.impact.end) : 'still open';
  const impactMs = s.impact.end ? Date.parse(s.impact.end) - Date.parse(s.impact.start) : null;
  const timeline = [...input.audit].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq);
  const lines: string[] = [
    `# Postmortem draft${s.drill ? ' (DRILL)' : ''}: ${incident.service} — ${incident.title}`,
    '',
    '_Draft written by Backstop from its audit trail. Edit before sharing._',
    '',
    '## Summary',
    '',
    `- Incident: ${incident.id} (${incident.severity ?? 'no severity'})`,
    `- Alerts: ${s.alerts.length ? s.alerts.join(', ') : 'none'}`,
    `- Impact window (UTC): ${utc(s.impact.start)} – ${impactEnd}${impactMs !== null ? ` (${formatDuration(impactMs)})` : ''}`,
    `- Resolved: ${incident.resolvedAt ? utc(incident.resolvedAt) : 'open'}${incident.resolvedBy ? ` by ${person(incident.resolvedBy)}` : ''}`,
    `- Outcome: ${outcome}`,
    `- Approved by: ${s.approvedBy.map(person).join(', ') || 'nobody'}`,
    `- Time to proposal: ${formatDuration(t.toProposalMs)}`,
    `- Time to approval: ${formatDuration(t.toApprovalMs)}`,
    `- Time to recovery: ${formatDuration(t.toRecoveryMs)}`,
    '',
    '## Impact',
    '',
    '_To fill in: who and what was affected (requests, predictions, customers), how badly, for how long._',
    '',
    '## Timeline (UTC)',
    '',
    '| time | who | what |',
    '|---|---|---|',
    ...timeline.map((e) => `| ${utc(e.at)} | ${cell(person(e.actor))} | ${cell(eventText(e, nameOf, named))} |`),
    '',
    '## SLIs before and after',
    '',
    ...(s.slis.length ? sliTable(s.slis) : ['No SLI snapshot was taken.']),
    '',
    '## Root cause',
    '',
    `_To fill in: what in ${main?.fromVersion ?? 'the change'} caused it, and why it was not caught before release._`,
    '',
    '## Decisions',
    '',
  ];
  if (s.decisions.length === 0) lines.push('- None.');
  for (const d of s.decisions) {
    const approved = input.proposals.find((p) => p.id === d.proposalId)?.approvals.map((a) => `${person(a.user)} at ${utc(a.at)}`).join(', ') || 'nobody';
    const asked = USER_ID.test(d.requestedBy) ? person(d.requestedBy) : d.requestedBy === 'alert' ? 'the alert' : d.requestedBy;
    lines.push(`- Proposal ${d.proposalId} (${d.from ?? 'unknown'} → ${d.to}, requested by ${asked}, ${named(d.reason)}): ${stateWords(d.state)}. Approved by: ${approved}.${d.decisionReason ? ` Reason: ${named(d.decisionReason)}.` : ''}`);
  }
  const glass = input.proposals.filter((p) => p.breakGlass);
  if (glass.length) {
    lines.push('', '## ⚠️ Break-glass', '');
    for (const p of glass) lines.push(`- ${person(p.decidedBy)} executed proposal ${p.id} without the full quorum (${p.approvals.length}/${p.requiredApprovals}). Reason: ${named(p.breakGlass ?? '')}`);
  }
  lines.push(
    '', '## Action items', '',
    `- [ ] Find and fix the cause of the regression${main?.fromVersion ? ` in ${main.fromVersion}` : ''} (owner: )`,
    '- [ ] Add a check before release that would have caught it (owner: )',
    '- [ ] Review the alert and SLI thresholds: did they fire early enough? (owner: )',
    '',
  );
  return lines.join('\n');
}

/** An audit row in words: re-worded from its fact with names, else its stored text. */
function eventText(e: AuditEntry, nameOf: (id: string) => string | undefined, named: (t: string) => string): string {
  const f = factOf(e);
  const words = f && f.action !== 'postmortem.drafted' ? describeStep(f) : undefined;
  // A fact of an older shape has no words today: its stored text stands in.
  if (Array.isArray(words)) return plainText(words, nameOf);
  const d = e.details;
  const text = typeof d.text === 'string' ? d.text : typeof d.summary === 'string' ? d.summary : '';
  return named(text ? `${e.action}: ${text}` : e.action);
}
