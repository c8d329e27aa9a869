import type { OutboxItem, OutboxKind, OutboxPayload, OutboxPriority, OutboxQueue } from '../../ports/store.js';
import { outboxStream, toItem } from '../../store/outbox.js';
import { one, rows, type Sql } from './sql.js';

/**
 * The outbox as streams: one per proposal thread, per channel's top level, per PagerDuty
 * incident. Only a stream's oldest unsent row may be sent, so a thread reads in the order
 * things happened. Heads are one index probe per stream (outbox_stream_unsent), a shape that
 * `FOR UPDATE SKIP LOCKED` can later claim from when several replicas drain.
 */
export class PgOutbox implements OutboxQueue {
  constructor(private readonly sql: Sql) {}

  async enqueue(kind: OutboxKind, target: { channelId?: string | null; proposalId?: string | null; incidentId?: string | null }, body: OutboxPayload, now: string, priority: OutboxPriority = 0): Promise<number> {
    if (kind === 'pagerduty_note' || kind === 'pagerduty_resolve') {
      // Notes to PagerDuty keep their own order and never wait for Slack.
      const r = await one(this.sql, 'INSERT INTO outbox (kind, incident_id, payload, created_at, next_attempt_at, priority, stream) VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING id',
        [kind, target.incidentId ?? null, JSON.stringify(body), now, priority, `pagerduty:${target.incidentId ?? ''}`]);
      return Number(r?.id);
    }
    const proposalId = target.proposalId ?? null;
    // A proposal's messages go to its channel unless told otherwise.
    const r = await one(this.sql, `INSERT INTO outbox (kind, channel_id, proposal_id, incident_id, payload, created_at, next_attempt_at, priority, stream)
      SELECT $1::text, c.channel_id, $2::text, $3::text, $4::text, $5::text, $5::text, $6::int, $8::text
      FROM (SELECT coalesce($7::text, (SELECT channel_id FROM proposals WHERE id = $2::text)) AS channel_id) c
      RETURNING id`, [kind, proposalId, target.incidentId ?? null, JSON.stringify(body), now, priority, target.channelId ?? null,
      outboxStream(kind, proposalId, target.incidentId ?? null, target.channelId ?? null)]);
    return Number(r?.id);
  }

  async heads(): Promise<OutboxItem[]> {
    return (await rows(this.sql, `SELECT o.* FROM outbox o
      WHERE o.sent_at IS NULL AND o.id = (SELECT min(p.id) FROM outbox p WHERE p.stream = o.stream AND p.sent_at IS NULL)
      ORDER BY o.priority, o.id`)).map(toItem);
  }

  async markSending(id: number, now: string): Promise<void> {
    await this.sql.query('UPDATE outbox SET sending_since = coalesce(sending_since, $1) WHERE id = $2', [now, id]);
  }

  async markSent(id: number, now: string): Promise<void> {
    await this.sql.query('UPDATE outbox SET sent_at = $1 WHERE id = $2', [now, id]);
  }

  async markProposalUpdatesSent(proposalId: string, uptoId: number, now: string): Promise<void> {
    await this.sql.query("UPDATE outbox SET sent_at = $1 WHERE kind = 'update_proposal' AND proposal_id = $2 AND id <= $3 AND sent_at IS NULL", [now, proposalId, uptoId]);
  }

  async laterProposalUpdate(proposalId: string, afterId: number): Promise<number | undefined> {
    const r = await one(this.sql, "SELECT id FROM outbox WHERE kind = 'update_proposal' AND proposal_id = $1 AND id > $2 AND sent_at IS NULL ORDER BY id DESC LIMIT 1", [proposalId, afterId]);
    return r ? Number(r.id) : undefined;
  }

  async markIncidentUpdatesSent(incidentId: string, uptoId: number, now: string): Promise<void> {
    await this.sql.query("UPDATE outbox SET sent_at = $1 WHERE kind = 'update_incident' AND incident_id = $2 AND id <= $3 AND sent_at IS NULL", [now, incidentId, uptoId]);
  }

  async laterIncidentUpdate(incidentId: string, afterId: number): Promise<number | undefined> {
    const r = await one(this.sql, "SELECT id FROM outbox WHERE kind = 'update_incident' AND incident_id = $1 AND id > $2 AND sent_at IS NULL ORDER BY id DESC LIMIT 1", [incidentId, afterId]);
    return r ? Number(r.id) : undefined;
  }

  async following(id: number, limit: number): Promise<OutboxItem[]> {
    return (await rows(this.sql, 'SELECT * FROM outbox WHERE stream = (SELECT stream FROM outbox WHERE id = $1) AND id > $1 AND sent_at IS NULL ORDER BY id LIMIT $2', [id, limit])).map(toItem);
  }

  async markFailed(id: number, error: string, nextAttemptAt: string): Promise<void> {
    await this.sql.query('UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3', [error, nextAttemptAt, id]);
  }

  async pending(): Promise<number> {
    const r = await one(this.sql, 'SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL');
    return Number(r?.n ?? 0);
  }
}
