import { matchService } from '../config/policy.js';
import { withoutNul, type Alert } from '../domain/alert.js';
import { isDrill } from '../domain/drill.js';
import type { Incident } from '../domain/incident.js';
import type { Repositories } from '../ports/store.js';
import type { Deps } from './deps.js';
import { proposeRollback } from './propose-rollback.js';
import { recordStep } from './record-step.js';
import { resolveIncident } from './resolve-incident.js';

export interface IntakeSummary {
  received: number;
  new: number;
  duplicates: number;
  resolved: number;
  unmatched: number;
  incidents: string[];
}

/**
 * Records a batch of alerts in one transaction: deduped by (fingerprint, startsAt), firing
 * alerts grouped into one open incident per service, resolutions noted. Proposals and
 * resolutions are then started in the background so the sender gets its answer at once.
 */
export async function handleAlerts(deps: Deps, delivered: readonly Alert[]): Promise<IntakeSummary> {
  const alerts = delivered.map(withoutNul);
  const summary: IntakeSummary = { received: alerts.length, new: 0, duplicates: 0, resolved: 0, unmatched: 0, incidents: [] };
  const toPropose = new Set<string>();
  const toResolve = new Set<string>();
  await deps.store.tx(async (r) => {
    const now = deps.clock.now().toISOString();
    // One lookup per service per delivery (a delivery is usually one Alertmanager group of one service), not per alert.
    const open = new Map<string, Incident>();
    const live = new Map<string, boolean>();
    // Incidents whose alerts changed: their headers show what fires.
    const changed = new Set<string>();
    for (const a of alerts) {
      const service = matchService(deps.policy, a.labels) ?? null;
      let incident: Incident | undefined;
      if (service && a.status === 'firing') {
        incident = open.get(service) ?? (await r.incidents.openFor(service)) ?? (await openIncident(deps, r, service, a, now));
        open.set(service, incident);
      }
      const knownIncident = incident?.id ?? (await r.alerts.incidentOf(a.fingerprint, a.startsAt));
      const outcome = await r.alerts.upsert(a, service, knownIncident, now);
      if (outcome === 'duplicate' || outcome === 'already_resolved') {
        summary.duplicates++;
        continue;
      }
      if (!service) {
        summary.unmatched++;
        await r.audit.append({ at: now, incidentId: null, proposalId: null, actor: a.source, action: 'alert.unmatched', details: { name: a.name, fingerprint: a.fingerprint, labels: a.labels } });
        continue;
      }
      if (outcome === 'resolved') {
        summary.resolved++;
        if (knownIncident) {
          await r.audit.append({ at: now, incidentId: knownIncident, proposalId: null, actor: a.source, action: 'alert.resolved', details: { name: a.name, fingerprint: a.fingerprint } });
          changed.add(knownIncident);
          if ((await r.alerts.firingCount(knownIncident)) === 0) toResolve.add(knownIncident);
        }
        continue;
      }
      summary.new++;
      if (incident && a.source === 'pagerduty' && a.labels.pagerduty_incident) await r.incidents.linkPagerDuty(incident.id, a.labels.pagerduty_incident);
      if (incident) {
        await r.audit.append({ at: now, incidentId: incident.id, proposalId: null, actor: a.source, action: 'alert.firing', details: { name: a.name, fingerprint: a.fingerprint, summary: a.summary ?? a.name, severity: a.severity } });
        changed.add(incident.id);
        let hasLive = live.get(service);
        if (hasLive === undefined) live.set(service, (hasLive = await r.proposals.hasLive(service)));
        if (!hasLive) toPropose.add(incident.id);
        if (!summary.incidents.includes(incident.id)) summary.incidents.push(incident.id);
      }
    }
    for (const id of changed) await r.outbox.enqueue('update_incident', { incidentId: id }, { text: 'header update' }, now, 1);
  });
  deps.kickOutbox();
  for (const id of toPropose) {
    deps.tasks.run(`propose ${id}`, async () => proposeRollback(deps, id, { requestedBy: 'alert', reason: await reasonFor(deps, id), severity: (await deps.store.incidents.get(id))?.severity ?? null, trigger: 'alert' }));
  }
  for (const id of toResolve) {
    deps.tasks.run(`resolve ${id}`, () => resolveIncident(deps, id, { kind: 'alerts', by: alertSource(alerts) }));
  }
  return summary;
}

/** Who resolved it: the intake the resolving alerts came through. */
function alertSource(alerts: readonly Alert[]): string {
  return alerts.find((a) => a.status === 'resolved')?.source ?? alerts[0]?.source ?? 'alerts';
}

async function openIncident(deps: Deps, r: Repositories, service: string, a: Alert, now: string): Promise<Incident> {
  const incident: Incident = {
    id: deps.ids.next('inc'), service, status: 'open', title: a.summary ?? a.name, severity: a.severity,
    channelId: null, openedAt: now, resolvedAt: null, resolvedBy: null, postmortemPath: null,
  };
  await r.incidents.insert(incident);
  await recordStep(deps, r, { incidentId: incident.id, proposalId: null, actor: a.source, fact: { action: 'incident.opened', incidentId: incident.id, service, title: incident.title, by: { kind: 'alert' } } });
  return incident;
}

async function reasonFor(deps: Deps, incidentId: string): Promise<string> {
  const names = [...new Set(await deps.store.alerts.names(incidentId))];
  const reason = `alert ${names.join(', ')} firing`;
  return isDrill((await deps.store.incidents.get(incidentId))?.service) && !reason.includes('DRILL') ? `DRILL: ${reason}` : reason;
}
