/**
 * The incident header: one top-level message per incident, edited in place as it evolves. What
 * an on-call engineer needs at a glance: what fired and how bad, since when, the deploy suspected,
 * where Backstop stands and where to look. Pure: data in, Block Kit out.
 */
import type { KnownBlock } from '@slack/types';
import { DRILL_MARK } from '../../domain/drill.js';
import type { Incident } from '../../domain/incident.js';
import { doingNow, incidentPhase, phaseTitle, proposalGist } from '../../domain/incident-status.js';
import type { Proposal } from '../../domain/proposal.js';
import type { IncidentAlert } from '../../ports/store.js';
import { mrkdwn } from './mrkdwn.js';

/** Block id of the header's first block: the header is told apart from other messages by it. */
export const BLOCK_INCIDENT_HEADER = 'incident_header';
/** Alerts listed by name; more are counted. */
const MAX_ALERTS = 8;

export interface SuspectedDeploy {
  version: string;
  by: string | null;
  at: string | null;
  /** Where Backstop learnt it: CI's `/deploys`, or the target's own versions (via the proposal). */
  source: 'deploys' | 'target';
}

export interface IncidentHeaderInput {
  incident: Incident;
  /** The first of the incident's alerts (a few are shown), and how many it has in all. */
  alerts: readonly IncidentAlert[];
  tally: { firing: number; total: number };
  /** The incident's latest proposal, if any. */
  latest?: Proposal;
  deploy: SuspectedDeploy | null;
  /** The service's dashboard, its template filled in. */
  dashboardUrl: string | null;
  drill: boolean;
}

/** `&`, `<` and `>` are Slack's control characters: text from alerts must not make links or mentions. */
function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Only http(s) links become links: an alert's generatorURL comes from outside. */
function safeUrl(url: string | null | undefined): string | null {
  if (!url || !/^https?:\/\//i.test(url) || /[\s<>|]/.test(url)) return null;
  return url;
}

/** A Slack date token: every reader sees the time in their own zone; the fallback is UTC. */
export function dateToken(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC>`;
}

/** A link to a message Slack resolves in the reader's workspace. */
export function messageLink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}

/**
 * Fills a dashboard template: `{service}`, and `{from}`/`{to}` in epoch milliseconds (Grafana's
 * form): from half an hour before the suspected deploy or the incident, whichever is first, to
 * ten minutes after it resolved, or `now` while it is open.
 */
export function dashboardUrl(template: string, service: string, incident: Pick<Incident, 'openedAt' | 'resolvedAt'>, deployAt: string | null): string {
  const starts = [Date.parse(incident.openedAt), deployAt ? Date.parse(deployAt) : NaN].filter((t) => !Number.isNaN(t));
  const from = Math.min(...starts) - 30 * 60_000;
  const to = incident.resolvedAt ? String(Date.parse(incident.resolvedAt) + 10 * 60_000) : 'now';
  return template.replaceAll('{service}', encodeURIComponent(service)).replaceAll('{from}', String(from)).replaceAll('{to}', to);
}

function statusLine(input: IncidentHeaderInput): { title: string; doing: string } {
  const gist = input.latest ? proposalGist(input.latest) : undefined;
  const phase = incidentPhase(input.incident, gist);
  return { title: phaseTitle(phase), doing: mrkdwn(doingNow(phase, gist)) };
}

export function incidentHeaderText(input: IncidentHeaderInput): string {
  const { incident } = input;
  const severity = incident.severity ? ` (${incident.severity})` : '';
  // The fallback text is parsed for mentions too: alert text must not ping anyone.
  return `${input.drill ? DRILL_MARK : ''}🚨 Incident ${incident.service}${esc(severity)}: ${esc(incident.title)}. Status: ${statusLine(input).title}`;
}

function alertLines(alerts: readonly IncidentAlert[], total: number): string {
  const lines = alerts.slice(0, MAX_ALERTS).map((a) => {
    const link = safeUrl(a.generatorUrl);
    const source = link ? ` (<${link}|source>)` : '';
    const state = a.status === 'resolved' ? ' ✅ resolved' : '';
    return `• *${esc(a.name)}*${a.summary ? `: ${esc(a.summary)}` : ''}${source}${state}`;
  });
  if (total > MAX_ALERTS) lines.push(`• …and ${total - MAX_ALERTS} more`);
  return lines.join('\n') || 'No alert recorded (opened by a person or by analysis).';
}

function deployLine(d: SuspectedDeploy | null): string {
  if (!d) return 'unknown: neither `/deploys` nor the target says';
  const who = d.by ? ` by ${esc(d.by)}` : '';
  const when = d.at ? ` ${dateToken(d.at)}` : '';
  const from = d.source === 'deploys' ? 'from `/deploys`' : 'as the target reports';
  return `\`${esc(d.version)}\`${who}${when} (${from})`;
}

function proposalLine(p: Proposal | undefined): string | null {
  if (!p) return null;
  // Slack shows code spans inside a link's label as literal backticks.
  const label = `rollback ${esc(p.fromVersion ?? 'unknown')} → ${esc(p.toVersion)}`;
  const link = p.messageTs ? `<${messageLink(p.channelId, p.messageTs)}|${label}>` : `rollback \`${esc(p.fromVersion ?? 'unknown')}\` → \`${esc(p.toVersion)}\``;
  const approvals = p.state === 'pending' ? `, ${new Set(p.approvals.map((a) => a.user)).size}/${p.requiredApprovals} approvals` : '';
  return `*Proposal:* ${link}: ${p.state.replace('_', ' ')}${approvals}`;
}

export function incidentHeaderBlocks(input: IncidentHeaderInput): KnownBlock[] {
  const { incident, alerts } = input;
  const status = statusLine(input);
  // Alert summaries often start with the service already: say it once.
  const named = incident.title.toLowerCase().startsWith(incident.service.toLowerCase()) ? incident.title : `${incident.service}: ${incident.title}`;
  const title = `${input.drill ? DRILL_MARK : ''}🚨 ${named}`;
  const links = [
    ...(input.dashboardUrl && safeUrl(input.dashboardUrl) ? [`<${input.dashboardUrl}|📈 Dashboard>`] : []),
    ...[...new Set(alerts.map((a) => safeUrl(a.generatorUrl)).filter((u): u is string => u !== null))].slice(0, 3).map((u, i, all) => `<${u}|🔗 Alert source${all.length > 1 ? ` ${i + 1}` : ''}>`),
    `Incident \`${incident.id}\``,
  ];
  const proposal = proposalLine(input.latest);
  return [
    { type: 'header', block_id: BLOCK_INCIDENT_HEADER, text: { type: 'plain_text', text: title.length > 150 ? `${title.slice(0, 149)}…` : title, emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Status*\n${status.title}` },
        { type: 'mrkdwn', text: `*Severity*\n${esc(incident.severity ?? 'not given')}` },
        { type: 'mrkdwn', text: `*Started*\n${dateToken(incident.openedAt)}` },
        { type: 'mrkdwn', text: incident.resolvedAt ? `*Resolved*\n${dateToken(incident.resolvedAt)}` : `*Alerts firing*\n${input.tally.firing} of ${input.tally.total}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*What fired*\n${alertLines(alerts, input.tally.total)}`.slice(0, 3000) } },
    { type: 'section', text: { type: 'mrkdwn', text: `*Suspected deploy:* ${deployLine(input.deploy)}` } },
    { type: 'section', text: { type: 'mrkdwn', text: `*Now:* ${status.doing}${proposal ? `\n${proposal}` : ''}`.slice(0, 3000) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] },
  ];
}

/** The line a proposal carries back to its incident's header. */
export function headerLinkBlock(incident: Pick<Incident, 'id' | 'channelId' | 'headerTs'>): KnownBlock | undefined {
  if (!incident.channelId || !incident.headerTs) return undefined;
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `Part of <${messageLink(incident.channelId, incident.headerTs)}|incident ${incident.id}>: status, alerts and links in its header.` }] };
}
