/**
 * Sends the incident header and what threads under it. The header is posted once, top level in
 * the incident channel (made here if the incident has none yet: intake never waits on Slack), and
 * edited in place afterwards; however many updates are queued, one edit shows the latest state.
 */
import type { KnownBlock } from '@slack/types';
import type { Deps } from '../app/deps.js';
import { ensureIncidentChannel } from '../app/propose-rollback.js';
import { isDrill } from '../domain/drill.js';
import type { Incident } from '../domain/incident.js';
import { latestProposal } from '../domain/incident-status.js';
import type { Proposal } from '../domain/proposal.js';
import type { ChatMessage } from '../ports/chat.js';
import type { OutboxItem } from '../ports/store.js';
import { dashboardUrl, incidentHeaderBlocks, incidentHeaderText, type SuspectedDeploy } from './views/incident-header.js';

type HeaderDeps = Omit<Deps, 'kickOutbox'>;
type PostOnce = (msg: ChatMessage) => Promise<{ ts: string; found: boolean }>;

/** Alerts read for a header: it lists a few; an alert storm must not make each edit read thousands. */
const HEADER_ALERTS = 20;
/** A proposal's first post waits for its header this many attempts at most (about 3.5 s), then goes anyway. */
export const HEADER_HOLD_ATTEMPTS = 3;

/** The deploy to suspect: the last one `/deploys` reported before the incident, else what the proposal found on the target. */
async function suspectedDeploy(deps: HeaderDeps, incident: Incident, latest: Proposal | undefined): Promise<SuspectedDeploy | null> {
  const deploys = await deps.store.deploys.recent(incident.service, 20);
  const before = deploys.filter((d) => d.at <= incident.openedAt).sort((a, b) => b.at.localeCompare(a.at))[0];
  if (before && (!latest?.fromVersion || before.version === latest.fromVersion)) return { version: before.version, by: before.by, at: before.at, source: 'deploys' };
  if (latest?.fromVersion) return { version: latest.fromVersion, by: null, at: null, source: 'target' };
  return before ? { version: before.version, by: before.by, at: before.at, source: 'deploys' } : null;
}

export async function renderIncidentHeader(deps: HeaderDeps, incident: Incident): Promise<{ text: string; blocks: KnownBlock[] }> {
  const [alerts, tally, proposals] = await Promise.all([deps.store.alerts.forIncident(incident.id, HEADER_ALERTS), deps.store.alerts.tally(incident.id), deps.store.proposals.forIncident(incident.id)]);
  const latest = latestProposal(proposals);
  const deploy = await suspectedDeploy(deps, incident, latest);
  const template = deps.service(incident.service)?.dashboard;
  const input = {
    incident, alerts, tally, latest, deploy, drill: isDrill(incident.service),
    dashboardUrl: template ? dashboardUrl(template, incident.service, incident, deploy?.at ?? null) : null,
  };
  return { text: incidentHeaderText(input), blocks: incidentHeaderBlocks(input) };
}

/** Posts the header the first time, edits it after; marks every update it carries as sent. */
export async function sendIncidentHeader(deps: HeaderDeps, item: OutboxItem, postOnce: PostOnce): Promise<void> {
  const { store, chat, clock } = deps;
  if (!item.incidentId) return;
  const latestUpdate = (await store.outbox.laterIncidentUpdate(item.incidentId, item.id)) ?? item.id;
  let incident = await store.incidents.get(item.incidentId);
  if (!incident) return;
  const channel = incident.channelId ?? (await ensureIncidentChannel(deps, incident.id, 'alert'));
  // Only a channel made just now is new since the read: no second read on every edit.
  if (!incident.channelId) incident = { ...incident, channelId: channel };
  const view = await renderIncidentHeader(deps, incident);
  if (incident.headerTs) {
    await chat.update({ channel, ts: incident.headerTs, ...view });
  } else {
    const posted = await postOnce({ channel, ...view });
    await store.incidents.setHeaderTs(incident.id, posted.ts);
    // Found from an earlier attempt, it shows the state of then: show the latest.
    if (posted.found) await chat.update({ channel, ts: posted.ts, ...view });
  }
  await store.outbox.markIncidentUpdatesSent(incident.id, latestUpdate, clock.now().toISOString());
}

/** A step of the incident that belongs to no proposal (a status update before any proposal): a reply under the header. */
export async function sendUnderHeader(deps: HeaderDeps, item: OutboxItem, msg: { text: string; blocks?: KnownBlock[] }, postOnce: PostOnce): Promise<void> {
  const incident = item.incidentId ? await deps.store.incidents.get(item.incidentId) : undefined;
  if (!incident) return;
  // Same stream as the header, so it is normally posted by now; a header that could not be posted holds it.
  if (!incident.headerTs || !incident.channelId) throw new Error('incident header not posted yet');
  await postOnce({ channel: incident.channelId, threadTs: incident.headerTs, ...msg });
}

/**
 * Whether a proposal's first post should wait: its incident's header is queued but not posted
 * yet. A header that keeps failing holds the proposal only a few attempts: the proposal matters more.
 */
export async function waitForHeader(deps: HeaderDeps, proposal: Pick<Proposal, 'incidentId' | 'messageTs'>, item: OutboxItem): Promise<boolean> {
  if (proposal.messageTs || item.attempts >= HEADER_HOLD_ATTEMPTS) return false;
  const incident = await deps.store.incidents.get(proposal.incidentId);
  if (!incident || incident.headerTs) return false;
  return (await deps.store.outbox.laterIncidentUpdate(incident.id, 0)) !== undefined;
}

/** Once a proposal has its message, the header links to it: one more (merged) header update. */
export async function linkHeaderToProposal(deps: HeaderDeps, proposal: Pick<Proposal, 'incidentId'>): Promise<void> {
  await deps.store.outbox.enqueue('update_incident', { incidentId: proposal.incidentId }, { text: 'header update' }, deps.clock.now().toISOString(), 1);
}
