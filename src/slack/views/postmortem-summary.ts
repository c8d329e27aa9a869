import type { KnownBlock } from '@slack/types';
import { formatDuration, stateWords, withUnit, type PostmortemSummary, type SummarySli } from '../../domain/postmortem-summary.js';
import { comparatorSymbol, fmt } from '../../domain/sli.js';
import type { QueuedStep } from '../../ports/store.js';
import { slackDate } from './mrkdwn.js';

/** Slack mrkdwn treats &, < and > as markup: text from people and alerts is escaped. */
function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A moment every reader sees in their own time zone; the fallback is UTC. */
const when = (iso: string) => slackDate(iso);

const mention = (id: string) => (/^[UW][0-9A-Z]+$/.test(id) ? `<@${id}>` : esc(id));
const VERDICT: Record<string, string> = { ok: '✅ ok', breach: '❌ breach', no_data: '❔ no data', error: '⚠️ error' };

function sliLine(s: SummarySli): string {
  const v = (x: number | null) => withUnit(x, s.unit, fmt);
  const after = s.verdictAfter === null ? 'not measured after the rollback' : `${v(s.after)} ${VERDICT[s.verdictAfter] ?? s.verdictAfter}`;
  return `• *${esc(s.name)}*: ${v(s.before)} ${VERDICT[s.verdictBefore] ?? s.verdictBefore} → ${after} (baseline ${v(s.baseline)}; breach ${comparatorSymbol(s.comparator)} ${v(s.threshold)})`;
}

/** Slack's fallback text (notifications, screen readers): one line, people as mentions. */
export function postmortemSummaryText(s: PostmortemSummary): string {
  const r = s.rollback;
  return `${s.drill ? '[DRILL] ' : ''}📝 Postmortem draft for ${s.service} (${s.incidentId})${r ? `: ${r.from ?? 'unknown'} → ${r.to}, ${stateWords(r.state)}` : ''}. The full draft and the SLI chart follow as files.`;
}

/** The postmortem at a glance, above the uploaded draft and chart. */
export function postmortemSummaryBlocks(s: PostmortemSummary, files: readonly string[] = []): KnownBlock[] {
  const r = s.rollback;
  const impactEnd = s.impact.end ? when(s.impact.end) : 'still open';
  const impactMs = s.impact.end ? Date.parse(s.impact.end) - Date.parse(s.impact.start) : null;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `📝 Postmortem draft${s.drill ? ' (DRILL)' : ''}: ${s.service}`.slice(0, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: `*${esc(s.title)}*\nIncident ${s.incidentId} · ${esc(s.severity ?? 'no severity')} · alerts: ${esc(s.alerts.join(', ') || 'none')}`.slice(0, 3000) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Impact window*\n${when(s.impact.start)} – ${impactEnd}${impactMs !== null ? ` (${formatDuration(impactMs)})` : ''}` },
        { type: 'mrkdwn', text: `*Rollback*\n${r ? `\`${esc(r.from ?? 'unknown')}\` → \`${esc(r.to)}\`: ${stateWords(r.state)}` : 'none proposed'}` },
        { type: 'mrkdwn', text: `*Time to proposal*\n${formatDuration(s.timings.toProposalMs)}` },
        { type: 'mrkdwn', text: `*Time to approval*\n${formatDuration(s.timings.toApprovalMs)}` },
        { type: 'mrkdwn', text: `*Time to recovery*\n${formatDuration(s.timings.toRecoveryMs)}` },
        { type: 'mrkdwn', text: `*Approved by*\n${s.approvedBy.map(mention).join(', ') || 'nobody'}` },
      ],
    },
  ];
  if (s.slis.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*SLIs before → after the rollback*\n${s.slis.map(sliLine).join('\n')}`.slice(0, 3000) } });
  const decisions = s.decisions.map((d) => {
    const who = d.approvedBy.map(mention).join(', ') || 'nobody';
    const why = d.decisionReason ? ` Reason: ${esc(d.decisionReason)}.` : '';
    const glass = d.breakGlass ? ` ⚠️ Break-glass: ${esc(d.breakGlass)}.` : '';
    return `• \`${d.from ?? 'unknown'}\` → \`${d.to}\`, requested by ${d.requestedBy === 'alert' ? 'the alert' : mention(d.requestedBy)} (${esc(d.reason)}): *${stateWords(d.state)}*; approved by ${who}.${why}${glass}`;
  });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Decisions*\n${decisions.join('\n') || 'No rollback was proposed.'}`.slice(0, 3000) } });
  const attached = files.length ? `The full draft and the SLI chart follow as files (${files.map(esc).join(', ')}). ` : '';
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${attached}Impact, root cause and action items are left for you to fill in.` }] });
  return blocks;
}

/** The `postmortem.drafted` step as its message: the summary, then where it sits in the audit trail. */
export function postmortemStepMessage(step: QueuedStep, summary: PostmortemSummary, files: readonly string[]): { text: string; blocks: KnownBlock[] } {
  const blocks = postmortemSummaryBlocks(summary, files);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `audit #${step.seq} · ${slackDate(step.at, '{time_secs}')}` }] });
  return { text: postmortemSummaryText(summary), blocks };
}
