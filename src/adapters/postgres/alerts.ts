import type { Alert } from '../../domain/alert.js';
import type { AlertRepository, AlertUpsert, IncidentAlert } from '../../ports/store.js';
import { toIncidentAlert } from '../../store/alerts.js';
import { changed, one, rows, type Sql } from './sql.js';

export class PgAlerts implements AlertRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Only the first firing and the first resolution of an alert count. Each step is one
   * statement that says whether it won, so replicas handed the same delivery at once agree:
   * the insert that loses waits for the winner's commit, then does nothing.
   */
  async upsert(a: Alert, service: string | null, incidentId: string | null, now: string): Promise<AlertUpsert> {
    const inserted = await changed(this.sql, `INSERT INTO alerts (fingerprint, starts_at, source, service, incident_id, status, name, severity, summary, labels, annotations, ends_at, received_at, updated_at, generator_url)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
      ON CONFLICT (fingerprint, starts_at) DO NOTHING`, [
      a.fingerprint, a.startsAt, a.source, service, incidentId, a.status, a.name, a.severity, a.summary,
      JSON.stringify(a.labels), JSON.stringify(a.annotations), a.endsAt, now, a.generatorUrl ?? null,
    ]);
    if (inserted === 1) return a.status === 'firing' ? 'new' : 'resolved';
    if (a.status === 'firing') return 'duplicate';
    const resolved = await changed(this.sql, "UPDATE alerts SET status = 'resolved', ends_at = $1, updated_at = $2 WHERE fingerprint = $3 AND starts_at = $4 AND status = 'firing'", [a.endsAt, now, a.fingerprint, a.startsAt]);
    return resolved === 1 ? 'resolved' : 'already_resolved';
  }

  async incidentOf(fingerprint: string, startsAt: string): Promise<string | null> {
    const r = await one(this.sql, 'SELECT incident_id FROM alerts WHERE fingerprint = $1 AND starts_at = $2', [fingerprint, startsAt]);
    return (r?.incident_id as string | null | undefined) ?? null;
  }

  async firingCount(incidentId: string): Promise<number> {
    const r = await one(this.sql, "SELECT count(*) AS n FROM alerts WHERE incident_id = $1 AND status = 'firing'", [incidentId]);
    return Number(r?.n ?? 0);
  }

  async names(incidentId: string): Promise<string[]> {
    return (await rows(this.sql, 'SELECT name FROM alerts WHERE incident_id = $1 ORDER BY received_at, seq', [incidentId])).map((r) => (r as { name: string }).name);
  }

  async forIncident(incidentId: string, limit?: number): Promise<IncidentAlert[]> {
    return (await rows(this.sql, 'SELECT * FROM alerts WHERE incident_id = $1 ORDER BY received_at, seq LIMIT $2', [incidentId, limit ?? null])).map(toIncidentAlert);
  }

  async tally(incidentId: string): Promise<{ firing: number; total: number }> {
    const [r] = await rows(this.sql, "SELECT count(*) AS total, count(*) FILTER (WHERE status = 'firing') AS firing FROM alerts WHERE incident_id = $1", [incidentId]);
    const t = r as { total: string | number; firing: string | number };
    return { firing: Number(t.firing), total: Number(t.total) };
  }
}
