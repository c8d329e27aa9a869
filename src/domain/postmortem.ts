/** Renders the postmortem draft as markdown from stored facts only; nothing here is invented. */
import type { AuditEntry } from './audit.js';
import { isDrill } from './drill.js';
import type { Incident } from './incident.js';
import type { Proposal } from './proposal.js';
import { comparatorSymbol, fmt, type SliReading } from './sli.js';

export interface PostmortemInput {
  incident: Incident;
  proposals: Proposal[];
  audit: AuditEntry[];
  alertNames: string[];
}

export interface PostmortemTimings {
  toProposalMs: number | null;
  toApprovalMs: number | null;
  toRecoveryMs: number | null;
}

export function timings(input: PostmortemInput): PostmortemTimings {
  const opened = Date.parse(input.incident.openedAt);
  const p = input.proposals[0];
  const since = (iso: string | null | undefined) => (iso ? Date.parse(iso) - opened : null);
  const recovered = input.proposals.find((x) => x.state === 'verified');
  return {
    toProposalMs: since(p?.createdAt),
    toApprovalMs: since(input.proposals.find((x) => x.decidedAt && x.approvals.length >= x.requiredApprovals)?.decidedAt),
    toRecoveryMs: since(recovered?.verifiedAt),
  };
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return 'n/a';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function sliTable(before: SliReading[], after: SliReading[] | null): string[] {
  const rows = ['| SLI | baseline | before rollback | after rollback | threshold | verdict after |', '|---|---|---|---|---|---|'];
  for (const b of before) {
    const a = after?.find((x) => x.name === b.name);
    rows.push(`| ${b.name} | ${fmt(b.baseline)} | ${fmt(b.current)} (${b.verdict}) | ${a ? fmt(a.current) : '—'} | ${comparatorSymbol(b.comparator)} ${fmt(b.threshold)} is a breach | ${a ? a.verdict : 'not measured'} |`);
  }
  return rows;
}

export function renderPostmortem(input: PostmortemInput): string {
  const { incident } = input;
  const t = timings(input);
  const main = input.proposals.find((p) => p.executedAt) ?? input.proposals[0];
  const outcome = main
    ? `Rollback of ${main.service} ${main.fromVersion ?? 'unknown'} → ${main.toVersion}: ${main.state.replace('_', ' ')}.`
    : 'No rollback was proposed.';
  const lines: string[] = [
    `# Postmortem draft${isDrill(incident.service) ? ' (DRILL)' : ''}: ${incident.service} — ${incident.title}`,
    '',
    '_Draft written by Backstop from its audit trail. Edit before sharing._',
    '',
    '## Summary',
    '',
    `- Incident: ${incident.id} (${incident.severity ?? 'no severity'})`,
    `- Alerts: ${input.alertNames.length ? [...new Set(input.alertNames)].join(', ') : 'none'}`,
    `- Opened: ${incident.openedAt}`,
    `- Resolved: ${incident.resolvedAt ?? 'open'}${incident.resolvedBy ? ` by ${incident.resolvedBy}` : ''}`,
    `- Outcome: ${outcome}`,
    `- Time to proposal: ${formatDuration(t.toProposalMs)}`,
    `- Time to approval: ${formatDuration(t.toApprovalMs)}`,
    `- Time to recovery: ${formatDuration(t.toRecoveryMs)}`,
    '',
    '## Timeline (UTC)',
    '',
    '| time | actor | event |',
    '|---|---|---|',
    ...input.audit.map((e) => `| ${e.at} | ${e.actor} | ${e.action}${describeDetails(e.details)} |`),
    '',
    '## SLIs before and after',
    '',
    ...(main ? sliTable(main.sliBefore, main.sliAfter) : ['No SLI snapshot was taken.']),
    '',
    '## Decisions',
    '',
  ];
  if (input.proposals.length === 0) lines.push('- None.');
  for (const p of input.proposals) {
    const who = p.approvals.map((a) => `${a.user} at ${a.at}`).join(', ') || 'nobody';
    lines.push(`- Proposal ${p.id} (requested by ${p.requestedBy}: ${p.reason}): ${p.state}. Approved by: ${who}.${p.decisionReason ? ` Reason: ${p.decisionReason}.` : ''}`);
  }
  const glass = input.proposals.filter((p) => p.breakGlass);
  if (glass.length) {
    lines.push('', '## ⚠️ Break-glass', '');
    for (const p of glass) lines.push(`- ${p.decidedBy} executed proposal ${p.id} without the full quorum (${p.approvals.length}/${p.requiredApprovals}). Reason: ${p.breakGlass}`);
  }
  lines.push('', '## Action items', '', '- [ ] ', '');
  return lines.join('\n');
}

function describeDetails(d: Record<string, unknown>): string {
  const text = typeof d.text === 'string' ? d.text : typeof d.summary === 'string' ? d.summary : '';
  return text ? `: ${text.replaceAll('|', '\\|').replaceAll('\n', ' ')}` : '';
}
