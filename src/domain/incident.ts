export type IncidentStatus = 'open' | 'resolved';

export interface Incident {
  id: string;
  service: string;
  status: IncidentStatus;
  title: string;
  severity: string | null;
  channelId: string | null;
  openedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  postmortemPath: string | null;
  /** The incident header message (top level in the incident channel), once posted. */
  headerTs?: string | null;
  /** When the last timed status update was posted (absent: none yet). */
  statusUpdateAt?: string | null;
}

/** Name of a channel Backstop creates for an incident: `inc-YYYYMMDD-<service>`, within Slack's 80-char rule. */
export function incidentChannelName(service: string, openedAt: Date): string {
  const day = openedAt.toISOString().slice(0, 10).replaceAll('-', '');
  const slug = service.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
  return `inc-${day}-${slug}`.slice(0, 80);
}

export type ResolveCheck = { ok: true } | { ok: false; code: 'already_resolved' | 'alerts_firing'; message: string };

/** An incident resolves when its last firing alert resolves, or when a person asks and none fires. */
export function canResolve(incident: Incident, firingAlerts: number, by: 'alerts' | 'person'): ResolveCheck {
  if (incident.status === 'resolved') return { ok: false, code: 'already_resolved', message: `Incident ${incident.id} is already resolved.` };
  // Not even a person may close an incident whose alerts still fire: silence them at the source first.
  if (firingAlerts > 0) {
    const hint = by === 'person' ? ' Fix or silence them at the source; the incident then resolves by itself.' : '';
    return { ok: false, code: 'alerts_firing', message: `${firingAlerts} alert(s) still firing.${hint}` };
  }
  return { ok: true };
}
