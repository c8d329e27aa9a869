import type { ResolvedService } from '../config/policy.js';
import type { Incident } from '../domain/incident.js';
import { incidentPhase, latestProposal, proposalGist, type SliVerdictNow, type StatusUpdateFact } from '../domain/incident-status.js';
import type { Proposal } from '../domain/proposal.js';
import type { Deps } from './deps.js';
import { recordStep } from './record-step.js';

/** Alerts a status update reads (it names the firing ones; a storm would make it a wall). */
const STATUS_ALERTS = 200;
/**
 * Timed status updates (policy `statusUpdate`): every period while an incident is open, one
 * message saying what is known (alerts firing, the SLIs' last verdicts), what Backstop is doing
 * and what it waits for; in the latest proposal's thread, else under the incident header.
 *
 * Timed work: only the leader calls it. Each update is claimed with a compare-and-swap on the
 * incident's `status_update_at` in the transaction that records it, so a restart, a failover or
 * two racing sweeps never post the same update twice. A bot that was down for several periods
 * posts one update when it is back, not one per missed period.
 */
export async function postStatusUpdates(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  let posted = 0;
  for (const incident of await deps.store.incidents.listOpen()) {
    const svc = deps.service(incident.service);
    if (!svc?.statusUpdate) continue;
    const last = incident.statusUpdateAt ?? incident.openedAt;
    if (now.getTime() - Date.parse(last) < svc.statusUpdate) continue;
    const fact = await statusFact(deps, svc, incident);
    const done = await deps.store.tx(async (r) => {
      if (!(await r.incidents.claimStatusUpdate(incident.id, incident.statusUpdateAt ?? null, now.toISOString()))) return false;
      await recordStep(deps, r, { incidentId: incident.id, proposalId: fact.proposal?.id ?? null, actor: 'backstop', fact });
      return true;
    });
    if (done) posted++;
  }
  if (posted > 0) deps.kickOutbox();
  return posted;
}

async function statusFact(deps: Deps, svc: ResolvedService, incident: Incident): Promise<StatusUpdateFact> {
  const [alerts, proposals] = await Promise.all([deps.store.alerts.forIncident(incident.id, STATUS_ALERTS), deps.store.proposals.forIncident(incident.id)]);
  const latest = latestProposal(proposals);
  const gist = latest ? proposalGist(latest) : null;
  return {
    action: 'incident.status_update', incidentId: incident.id, service: incident.service,
    phase: incidentPhase(incident, gist ?? undefined),
    firing: alerts.filter((a) => a.status === 'firing').map((a) => ({ name: a.name, summary: a.summary })),
    slis: await lastVerdicts(deps, svc, incident, latest),
    proposal: gist,
  };
}

/** Each SLI's latest verdict: continuous analysis' last measurement, else what the latest proposal read. */
async function lastVerdicts(deps: Deps, svc: ResolvedService, incident: Incident, latest: Proposal | undefined): Promise<SliVerdictNow[]> {
  const read = latest?.sliAfter ?? latest?.sliBefore ?? [];
  const out: SliVerdictNow[] = [];
  for (const sli of svc.slis) {
    const measured = (await deps.store.measurements.since(svc.name, sli.name, incident.openedAt, 1)).at(-1);
    const reading = read.find((x) => x.name === sli.name);
    if (measured) out.push({ name: sli.name, verdict: measured.verdict, reason: measured.reason });
    else if (reading) out.push({ name: sli.name, verdict: reading.verdict, reason: reading.reason });
  }
  return out;
}
