import { z } from 'zod';
import type { Incident } from '../domain/incident.js';
import { prep, type Db } from './db.js';

const row = z.object({
  id: z.string(),
  service: z.string(),
  status: z.enum(['open', 'resolved']),
  title: z.string(),
  severity: z.string().nullable(),
  channel_id: z.string().nullable(),
  opened_at: z.string(),
  resolved_at: z.string().nullable(),
  resolved_by: z.string().nullable(),
  postmortem_path: z.string().nullable(),
  header_ts: z.string().nullish(),
  status_update_at: z.string().nullish(),
});

/** Also reads PostgreSQL rows: src/adapters/postgres keeps these columns. */
export function toIncident(r: unknown): Incident {
  const x = row.parse(r);
  return {
    id: x.id, service: x.service, status: x.status, title: x.title, severity: x.severity, channelId: x.channel_id,
    openedAt: x.opened_at, resolvedAt: x.resolved_at, resolvedBy: x.resolved_by, postmortemPath: x.postmortem_path,
    headerTs: x.header_ts ?? null, statusUpdateAt: x.status_update_at ?? null,
  };
}

export class IncidentRepo {
  constructor(private readonly db: Db) {}

  get(id: string): Incident | undefined {
    const r = prep(this.db, 'SELECT * FROM incidents WHERE id = ?').get(id);
    return r ? toIncident(r) : undefined;
  }

  openFor(service: string): Incident | undefined {
    const r = prep(this.db, "SELECT * FROM incidents WHERE service = ? AND status = 'open'").get(service);
    return r ? toIncident(r) : undefined;
  }

  byChannel(channelId: string): Incident | undefined {
    const r = prep(this.db, "SELECT * FROM incidents WHERE channel_id = ? ORDER BY (status = 'open') DESC, opened_at DESC LIMIT 1").get(channelId);
    return r ? toIncident(r) : undefined;
  }

  listOpen(): Incident[] {
    return prep(this.db, "SELECT * FROM incidents WHERE status = 'open' ORDER BY opened_at").all().map(toIncident);
  }

  recent(service: string, limit: number): Incident[] {
    return prep(this.db, 'SELECT * FROM incidents WHERE service = ? ORDER BY opened_at DESC LIMIT ?').all(service, limit).map(toIncident);
  }

  insert(i: Incident): void {
    prep(this.db, `INSERT INTO incidents (id, service, status, title, severity, channel_id, opened_at, resolved_at, resolved_by, postmortem_path)
      VALUES (@id, @service, @status, @title, @severity, @channelId, @openedAt, @resolvedAt, @resolvedBy, @postmortemPath)`).run(i);
  }

  setChannel(id: string, channelId: string): void {
    prep(this.db, 'UPDATE incidents SET channel_id = ? WHERE id = ? AND channel_id IS NULL').run(channelId, id);
  }

  /** Returns false when another writer resolved it first. */
  resolve(id: string, at: string, by: string): boolean {
    return prep(this.db, "UPDATE incidents SET status = 'resolved', resolved_at = ?, resolved_by = ? WHERE id = ? AND status = 'open'").run(at, by, id).changes === 1;
  }

  linkPagerDuty(id: string, pagerDutyIncident: string): void {
    prep(this.db, 'UPDATE incidents SET pagerduty_incident = coalesce(pagerduty_incident, ?) WHERE id = ?').run(pagerDutyIncident, id);
  }

  byPagerDuty(pagerDutyIncident: string): Incident | undefined {
    const r = prep(this.db, 'SELECT * FROM incidents WHERE pagerduty_incident = ? ORDER BY opened_at DESC LIMIT 1').get(pagerDutyIncident);
    return r ? toIncident(r) : undefined;
  }

  pagerDutyIncident(id: string): string | null {
    return (prep(this.db, 'SELECT pagerduty_incident FROM incidents WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
  }

  setPostmortemPath(id: string, path: string): void {
    prep(this.db, 'UPDATE incidents SET postmortem_path = ? WHERE id = ?').run(path, id);
  }

  setHeaderTs(id: string, ts: string): void {
    prep(this.db, 'UPDATE incidents SET header_ts = ? WHERE id = ?').run(ts, id);
  }

  claimStatusUpdate(id: string, previous: string | null, at: string): boolean {
    return prep(this.db, "UPDATE incidents SET status_update_at = ? WHERE id = ? AND status = 'open' AND status_update_at IS ?").run(at, id, previous).changes === 1;
  }
}
