import type { Incident } from '../../domain/incident.js';
import type { IncidentRepository } from '../../ports/store.js';
import { toIncident } from '../../store/incidents.js';
import { changed, one, rows, type Sql } from './sql.js';

export class PgIncidents implements IncidentRepository {
  constructor(private readonly sql: Sql) {}

  async get(id: string): Promise<Incident | undefined> {
    const r = await one(this.sql, 'SELECT * FROM incidents WHERE id = $1', [id]);
    return r ? toIncident(r) : undefined;
  }

  async openFor(service: string): Promise<Incident | undefined> {
    const r = await one(this.sql, "SELECT * FROM incidents WHERE service = $1 AND status = 'open'", [service]);
    return r ? toIncident(r) : undefined;
  }

  async byChannel(channelId: string): Promise<Incident | undefined> {
    const r = await one(this.sql, "SELECT * FROM incidents WHERE channel_id = $1 ORDER BY (status = 'open') DESC, opened_at DESC LIMIT 1", [channelId]);
    return r ? toIncident(r) : undefined;
  }

  async listOpen(): Promise<Incident[]> {
    return (await rows(this.sql, "SELECT * FROM incidents WHERE status = 'open' ORDER BY opened_at")).map(toIncident);
  }

  /** A second open incident for the service fails on incidents_one_open (SQLSTATE 23505). */
  async insert(i: Incident): Promise<void> {
    await this.sql.query(
      `INSERT INTO incidents (id, service, status, title, severity, channel_id, opened_at, resolved_at, resolved_by, postmortem_path)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [i.id, i.service, i.status, i.title, i.severity, i.channelId, i.openedAt, i.resolvedAt, i.resolvedBy, i.postmortemPath],
    );
  }

  async setChannel(id: string, channelId: string): Promise<void> {
    await this.sql.query('UPDATE incidents SET channel_id = $1 WHERE id = $2 AND channel_id IS NULL', [channelId, id]);
  }

  async resolve(id: string, at: string, by: string): Promise<boolean> {
    return (await changed(this.sql, "UPDATE incidents SET status = 'resolved', resolved_at = $1, resolved_by = $2 WHERE id = $3 AND status = 'open'", [at, by, id])) === 1;
  }

  async linkPagerDuty(id: string, pagerDutyIncident: string): Promise<void> {
    await this.sql.query('UPDATE incidents SET pagerduty_incident = coalesce(pagerduty_incident, $1) WHERE id = $2', [pagerDutyIncident, id]);
  }

  async byPagerDuty(pagerDutyIncident: string): Promise<Incident | undefined> {
    const r = await one(this.sql, 'SELECT * FROM incidents WHERE pagerduty_incident = $1 ORDER BY opened_at DESC LIMIT 1', [pagerDutyIncident]);
    return r ? toIncident(r) : undefined;
  }

  async pagerDutyIncident(id: string): Promise<string | null> {
    const r = await one(this.sql, 'SELECT pagerduty_incident FROM incidents WHERE id = $1', [id]);
    return (r?.pagerduty_incident as string | null | undefined) ?? null;
  }

  async setPostmortemPath(id: string, path: string): Promise<void> {
    await this.sql.query('UPDATE incidents SET postmortem_path = $1 WHERE id = $2', [path, id]);
  }

  async setHeaderTs(id: string, ts: string): Promise<void> {
    await this.sql.query('UPDATE incidents SET header_ts = $1 WHERE id = $2', [ts, id]);
  }

  async claimStatusUpdate(id: string, previous: string | null, at: string): Promise<boolean> {
    return (await changed(this.sql, "UPDATE incidents SET status_update_at = $1 WHERE id = $2 AND status = 'open' AND status_update_at IS NOT DISTINCT FROM $3::text", [at, id, previous])) === 1;
  }
}
