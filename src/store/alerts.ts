import { z } from 'zod';
import type { Alert } from '../domain/alert.js';
import { prep, type Db } from './db.js';

import type { AlertUpsert, IncidentAlert } from '../ports/store.js';

export type { AlertUpsert } from '../ports/store.js';

export class AlertRepo {
  constructor(private readonly db: Db) {}

  /**
   * Records one alert delivery. Alertmanager re-sends the whole group on every flush, so
   * most deliveries are duplicates: only the first firing and the first resolution count.
   */
  upsert(a: Alert, service: string | null, incidentId: string | null, now: string): AlertUpsert {
    // The insert says whether it won: a new alert costs one statement, not a lookup and then an insert.
    const inserted = prep(this.db, `INSERT INTO alerts (fingerprint, starts_at, source, service, incident_id, status, name, severity, summary, labels, annotations, ends_at, received_at, updated_at, generator_url)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint, starts_at) DO NOTHING`).run(
      a.fingerprint, a.startsAt, a.source, service, incidentId, a.status, a.name, a.severity, a.summary,
      JSON.stringify(a.labels), JSON.stringify(a.annotations), a.endsAt, now, now, a.generatorUrl ?? null,
    ).changes;
    if (inserted === 1) return a.status === 'firing' ? 'new' : 'resolved';
    if (a.status === 'firing') return 'duplicate';
    const resolved = prep(this.db, "UPDATE alerts SET status = 'resolved', ends_at = ?, updated_at = ? WHERE fingerprint = ? AND starts_at = ? AND status = 'firing'").run(a.endsAt, now, a.fingerprint, a.startsAt).changes;
    return resolved === 1 ? 'resolved' : 'already_resolved';
  }

  incidentOf(fingerprint: string, startsAt: string): string | null {
    const r = prep(this.db, 'SELECT incident_id FROM alerts WHERE fingerprint = ? AND starts_at = ?').get(fingerprint, startsAt) as { incident_id: string | null } | undefined;
    return r?.incident_id ?? null;
  }

  firingCount(incidentId: string): number {
    return prep(this.db, "SELECT count(*) FROM alerts WHERE incident_id = ? AND status = 'firing'").pluck().get(incidentId) as number;
  }

  names(incidentId: string): string[] {
    return prep(this.db, 'SELECT name FROM alerts WHERE incident_id = ? ORDER BY received_at').pluck().all(incidentId) as string[];
  }

  forIncident(incidentId: string, limit = -1): IncidentAlert[] {
    return prep(this.db, 'SELECT * FROM alerts WHERE incident_id = ? ORDER BY received_at, rowid LIMIT ?').all(incidentId, limit).map(toIncidentAlert);
  }

  tally(incidentId: string): { firing: number; total: number } {
    const r = prep(this.db, "SELECT count(*) AS total, count(*) FILTER (WHERE status = 'firing') AS firing FROM alerts WHERE incident_id = ?").get(incidentId) as { total: number; firing: number };
    return { firing: r.firing, total: r.total };
  }

  count(): number {
    return prep(this.db, 'SELECT count(*) FROM alerts').pluck().get() as number;
  }
}

const alertRow = z.object({
  name: z.string(), severity: z.string().nullable(), summary: z.string().nullable(),
  status: z.enum(['firing', 'resolved']), starts_at: z.string(), generator_url: z.string().nullish(),
});

/** Also reads PostgreSQL rows: src/adapters/postgres keeps these columns. */
export function toIncidentAlert(r: unknown): IncidentAlert {
  const x = alertRow.parse(r);
  return { name: x.name, severity: x.severity, summary: x.summary, status: x.status, startsAt: x.starts_at, generatorUrl: x.generator_url ?? null };
}
