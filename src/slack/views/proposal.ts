import type { KnownBlock } from '@slack/types';
import { whoMayApprove, type ApproverPolicy } from '../../domain/approval.js';
import { mrkdwn, slackDate } from './mrkdwn.js';
import { isDrill } from '../../domain/drill.js';
import { describeState, type Proposal } from '../../domain/proposal.js';
import { comparatorSymbol, fmt, fmtUnit, type SliReading } from '../../domain/sli.js';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_ROLL_FORWARD, ACTION_STOP, BLOCK_DECISION } from '../ids.js';

const MARK: Record<SliReading['verdict'], string> = { ok: '✅ ok', breach: '❌ breach', no_data: '❔ no data', error: '⚠️ error' };

/** Monospace SLI table: baseline, now, threshold and a verdict per SLI; an inconclusive one says why under the table. */
export function sliTable(readings: readonly SliReading[], title = 'now'): string {
  const rows = [['SLI', 'baseline', title, 'breach if', 'verdict']];
  for (const r of readings) {
    const unit = r.unit ? ` ${r.unit}` : '';
    rows.push([r.name, fmt(r.baseline) + unit, fmt(r.current) + unit, `${comparatorSymbol(r.comparator)} ${fmt(r.threshold)}${unit}`, MARK[r.verdict]]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  const why = readings.filter((r) => r.verdict === 'no_data' || r.verdict === 'error').map((r) => `${r.name}: ${r.reason}`);
  const shapes = readings.filter((r) => r.sparkline).map((r) => `${r.name.padEnd(widths[0]!)}  last hour ${r.sparkline}`);
  return [...table, ...(why.length ? ['', ...why] : []), ...(shapes.length ? ['', ...shapes] : [])].join('\n');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** What Backstop does once the rollback is approved, from the service's policy. */
export interface AfterApproval {
  /** Wait after the target reports the version, before the SLIs are measured. */
  settleMs: number;
  /** How long and how often the target is read back until it reports the approved version. */
  readBackTimeoutMs: number;
  readBackIntervalMs: number;
  /** Staged rollbacks: traffic percentages, the SLIs re-checked between them. */
  stages?: readonly number[];
}

export interface ProposalView {
  proposal: Proposal;
  approvers: ApproverPolicy;
  runbookUrl: string | null;
  /** The runbook as configured, shown when it cannot be linked. */
  runbookPath?: string | null;
  adapter: string;
  after?: AfterApproval;
}

/** "30 s", "2 min", "1 h 30 min": a duration as people say it. */
export function spokenDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}

/** Who asked, said once: an alert's reason already names it ("alert X firing"). */
export function requesterText(p: Pick<Proposal, 'requestedBy' | 'reason'>): string {
  if (p.requestedBy === 'alert') {
    const m = /^alerts? (.+?) (firing|resolved)$/.exec(p.reason);
    if (m) return `the alert${m[1]!.includes(', ') ? 's' : ''} ${m[1]} (${m[2]})`;
    return /^alerts?\b/.test(p.reason) ? `the ${p.reason}` : `an alert: ${p.reason}`;
  }
  if (p.requestedBy === 'policy') return `analysis: ${p.reason}`;
  return `<@${p.requestedBy}>: ${p.reason}`;
}

/** An SLI's breach rule with its unit: "accuracy < 0.85", "p99_latency > 250 ms". */
function breachRule(r: SliReading): string {
  return `${r.name} ${comparatorSymbol(r.comparator)} ${fmtUnit(r.threshold, r.unit)}`;
}

/** The plan the adapter runs, and what Backstop does after it: what approvers agree to. */
function planAndNext(p: Proposal, after: AfterApproval | undefined): string {
  const plan = p.plan?.steps.length ? p.plan.steps.map((s, i) => `${i + 1}. ${s}`).join('\n') : `Move ${p.service} from \`${p.fromVersion ?? 'unknown'}\` to \`${p.toVersion}\`.`;
  const lines = [`*What Approve does*\n${plan}`];
  if (after) {
    const staged = after.stages && after.stages.length > 1 ? ` in stages (${after.stages.map((x) => `${x}%`).join(' → ')}), re-checking the SLIs after each` : '';
    const slis = p.sliBefore.length ? p.sliBefore.map(breachRule).join(', ') : 'the SLIs';
    lines.push(`*Then*\n• Rolls out${staged}, reads the target back every ${spokenDuration(after.readBackIntervalMs)} for up to ${spokenDuration(after.readBackTimeoutMs)} until it reports \`${p.toVersion}\`\n• ${after.settleMs > 0 ? `Waits ${spokenDuration(after.settleMs)} to settle, then re-checks` : 'Then re-checks'} every SLI against the pre-deploy baseline; a breach is ${slis}\n• Says *Verified* only if both hold; otherwise *Not recovered*, with a roll-forward button`);
  }
  return lines.join('\n');
}

export function proposalText(p: Proposal): string {
  return `${isDrill(p.service) ? 'DRILL · ' : ''}Rollback proposal for ${p.service}: ${p.fromVersion ?? 'unknown'} → ${p.toVersion} (${describeState(p.state)}, ${p.approvals.length}/${p.requiredApprovals} approvals)`;
}

export function proposalBlocks({ proposal: p, approvers, runbookUrl, runbookPath, adapter, after }: ProposalView): KnownBlock[] {
  const approvedBy = p.approvals.map((a) => `<@${a.user}>`).join(', ') || 'none yet';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${isDrill(p.service) ? '🧪 DRILL · ' : ''}Rollback proposal: ${p.service}`, 150), emoji: true } },
    ...(isDrill(p.service) ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: '🧪 *Game-day drill, not a real incident.* The target is the drill registry; nothing real is touched.' }] }] : []),
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Service*\n${p.service}` },
        { type: 'mrkdwn', text: `*Version*\n\`${p.fromVersion ?? 'unknown'}\` → \`${p.toVersion}\` (last known good)` },
        { type: 'mrkdwn', text: `*Status*\n${describeState(p.state)}` },
        { type: 'mrkdwn', text: `*Approvals*\n${p.approvals.length}/${p.requiredApprovals}: ${approvedBy}` },
        { type: 'mrkdwn', text: `*Requested by*\n${clip(requesterText(p), 300)}` },
        { type: 'mrkdwn', text: `*Target*\n${clip(adapter, 300)}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*SLIs before rollback*\n\`\`\`${sliTable(p.sliBefore)}\`\`\``, 3000) } },
  ];
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(planAndNext(p, p.state === 'pending' ? after : undefined), 3000) } });
  if (p.preflight) {
    const lines = p.preflight.checks.map((c) => `${c.ok ? '✅' : '❌'} ${c.detail} _(${c.name})_`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Pre-flight ${p.preflight.ok ? 'passed' : 'FAILED: approval is blocked'}*\n${lines.join('\n')}`, 3000) } });
  }
  if (p.sliAfter) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*SLIs after rollback*\n\`\`\`${sliTable(p.sliAfter, 'after')}\`\`\``, 3000) } });
  }
  const context = [
    runbookUrl ? `📖 <${runbookUrl}|Runbook${runbookPath && !/^https?:/.test(runbookPath) ? `: ${runbookPath}` : ''}>` : runbookPath ? `📖 Runbook: \`${runbookPath}\` (set runbookBaseUrl to link it)` : '📖 no runbook configured',
    `Proposal \`${p.id}\``,
    p.state === 'pending' ? `Expires ${slackDate(p.expiresAt, '{time}')}` : null,
  ].filter((x): x is string => x !== null);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  if (p.state === 'pending' && p.automatic) {
    const at = p.autoExecuteAt ?? p.expiresAt;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`🤖 *Automatic rollback at ${slackDate(at, '{time_secs}')}* unless an approver presses Stop. Why: ${p.reason}`, 3000) } });
    blocks.push({
      type: 'actions',
      block_id: BLOCK_DECISION,
      elements: [
        { type: 'button', action_id: ACTION_STOP, style: 'danger', text: { type: 'plain_text', text: 'Stop automatic rollback' }, value: p.id },
        { type: 'button', action_id: ACTION_APPROVE, text: { type: 'plain_text', text: 'Approve now' }, value: p.id },
      ],
    });
  } else if (p.state === 'pending' && p.preflight && !p.preflight.ok) {
    blocks.push({ type: 'actions', block_id: BLOCK_DECISION, elements: [{ type: 'button', action_id: ACTION_REJECT, text: { type: 'plain_text', text: 'Dismiss' }, value: p.id }] });
  } else if (p.state === 'pending') {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`Who may approve: ${mrkdwn(whoMayApprove(approvers))}. The requester cannot approve.`, 3000) }] });
    blocks.push({
      type: 'actions',
      block_id: BLOCK_DECISION,
      elements: [
        { type: 'button', action_id: ACTION_APPROVE, style: 'primary', text: { type: 'plain_text', text: 'Approve rollback' }, value: p.id },
        { type: 'button', action_id: ACTION_REJECT, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: p.id },
      ],
    });
  } else {
    const outcome = p.decisionReason ? `${describeState(p.state)}: ${p.decisionReason}` : describeState(p.state);
    const glass = p.breakGlass ? `\n🚨 *Break-glass* by <@${p.decidedBy}>: ${p.breakGlass}` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Outcome:* ${outcome}${glass}`, 3000) } });
    if (p.state === 'not_recovered' && p.fromVersion) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'The rollback did not help: it counts as a rollback that did not help. Rolling forward needs the same approvals.' }] });
      blocks.push({ type: 'actions', block_id: BLOCK_DECISION, elements: [{ type: 'button', action_id: ACTION_ROLL_FORWARD, text: { type: 'plain_text', text: clip(`Roll forward to ${p.fromVersion}`, 75) }, value: p.id }] });
    }
  }
  return blocks;
}
