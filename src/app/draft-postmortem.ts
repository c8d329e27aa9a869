import type { Incident } from '../domain/incident.js';
import { peopleOfPostmortem, renderPostmortem } from '../domain/postmortem.js';
import { mainProposal, postmortemSummary } from '../domain/postmortem-summary.js';
import type { Proposal } from '../domain/proposal.js';
import type { QueuedUpload } from '../ports/store.js';
import type { Deps } from './deps.js';
import { recordStep } from './record-step.js';
import { padded, sliChartInput } from './sli-series.js';

/** The titles the files are shared under: unique per incident, so a resent one can be recognised. */
export const postmortemFileTitle = (incidentId: string) => `Postmortem draft ${incidentId}`;
export const chartFileTitle = (incidentId: string) => `SLIs during ${incidentId}`;

async function namesOf(deps: Pick<Deps, 'directory'>, ids: readonly string[]): Promise<Record<string, string>> {
  const pairs = await Promise.all(ids.map(async (id) => [id, await deps.directory.displayName(id)] as const));
  return Object.fromEntries(pairs);
}

/** When the version rolled back from went out: CI's report of it, else a minute after the baseline instant. */
async function deployedAt(deps: Pick<Deps, 'store'>, p: Proposal | undefined): Promise<Date | null> {
  if (!p) return null;
  const deploy = (await deps.store.deploys.recent(p.service, 20)).find((d) => d.version === p.fromVersion && d.at <= p.createdAt);
  if (deploy) return new Date(deploy.at);
  return p.baselineAt ? new Date(Date.parse(p.baselineAt) + 60_000) : null;
}

/** The incident's SLIs as a PNG, from before the deploy to the resolution; undefined when it cannot be drawn. */
async function incidentChart(deps: Deps, incident: Incident, proposals: readonly Proposal[]): Promise<QueuedUpload | undefined> {
  const svc = deps.service(incident.service);
  if (!deps.charts || !svc || svc.slis.length === 0) return undefined;
  try {
    const deploy = await deployedAt(deps, mainProposal(proposals));
    const opened = new Date(incident.openedAt);
    const end = new Date(incident.resolvedAt ?? deps.clock.now().toISOString());
    const window = padded(deploy && deploy < opened ? deploy : opened, end);
    const input = await sliChartInput(deps, svc, { ...window, proposals, deployedAt: deploy, title: `${incident.service}: SLIs during ${incident.id} (UTC)` });
    const png = await deps.charts.png(input);
    return { filename: `sli-chart-${incident.id}.png`, title: chartFileTitle(incident.id), contentBase64: png.toString('base64'), altText: `Chart of ${svc.slis.map((s) => s.name).join(', ')} for ${incident.service} during ${incident.id}, with baseline, threshold, deploy and rollback marked` };
  } catch (err) {
    // A chart is a courtesy: the postmortem goes out without one rather than not at all.
    deps.log.warn({ err, incidentId: incident.id }, 'could not draw the SLI chart for the postmortem');
    return undefined;
  }
}

/**
 * Writes the postmortem once the incident is resolved and no rollback is still in flight.
 * Called from both resolution and verification, whichever finishes last. Names, series and the
 * chart are fetched before the transaction; the summary (a step) and the two files (upload
 * items) are queued in it with the audit row, so they go out, in order, or not at all.
 */
export async function writePostmortemIfDue(deps: Deps, incidentId: string): Promise<string | undefined> {
  const incident = await deps.store.incidents.get(incidentId);
  if (!incident || incident.status !== 'resolved' || incident.postmortemPath) return undefined;
  const proposals = await deps.store.proposals.forIncident(incidentId);
  if (proposals.some((p) => p.state === 'approved' || p.state === 'executing' || p.state === 'executed')) return undefined;
  const audit = await deps.store.audit.forIncident(incidentId);
  const base = { incident, proposals, audit, alertNames: await deps.store.alerts.names(incidentId) };
  const names = await namesOf(deps, peopleOfPostmortem(base));
  const markdown = renderPostmortem({ ...base, names });
  const summary = postmortemSummary(base);
  const chart = await incidentChart(deps, incident, proposals);
  const draft: QueuedUpload = { filename: `postmortem-${incident.id}.md`, title: postmortemFileTitle(incident.id), contentBase64: Buffer.from(markdown, 'utf8').toString('base64') };
  const uploads = chart ? [draft, chart] : [draft];
  const file = await deps.postmortems.write(incident, markdown);
  const claimed = await deps.store.tx(async (r) => {
    // Only the first writer posts it, should resolution and verification finish together.
    if ((await r.incidents.get(incidentId))?.postmortemPath) return false;
    await r.incidents.setPostmortemPath(incidentId, file);
    const proposalId = proposals.at(-1)?.id ?? null;
    await recordStep(deps, r, {
      incidentId, proposalId, actor: 'backstop',
      fact: { action: 'postmortem.drafted', path: file, summary, files: uploads.map((u) => u.filename) },
      details: { path: file },
    });
    // Into the summary's stream (the proposal's thread, else the incident channel), after it.
    const target = proposalId ? { proposalId, incidentId } : incident.channelId ? { channelId: incident.channelId, incidentId } : undefined;
    const at = deps.clock.now().toISOString();
    if (target) for (const u of uploads) await r.outbox.enqueue('upload', target, { text: u.title, upload: u }, at, 1);
    return true;
  });
  deps.kickOutbox();
  return claimed ? file : undefined;
}
