import { z } from 'zod';
import { prep, type Db } from './db.js';

import type { OutboxItem, OutboxKind, OutboxPayload, OutboxPriority } from '../ports/store.js';

// The row types are the store port's; this file maps them to SQLite.
export type { OutboxItem, OutboxKind, OutboxPayload, OutboxPriority, QueuedStep } from '../ports/store.js';

const row = z.object({
  id: z.number(), kind: z.enum(['post', 'thread', 'update_proposal', 'update_incident', 'upload', 'pagerduty_note', 'pagerduty_resolve']), channel_id: z.string().nullable(),
  proposal_id: z.string().nullable(), incident_id: z.string().nullable(), payload: z.string(), attempts: z.number(),
  priority: z.number(), next_attempt_at: z.string(), sending_since: z.string().nullish(),
});
const payload = z.object({
  text: z.string(),
  blocks: z.array(z.unknown()).optional(),
  step: z.object({
    fact: z.record(z.string(), z.unknown()).and(z.object({ action: z.string() })),
    seq: z.number(), hash: z.string(), actor: z.string(), at: z.string(), drill: z.boolean(),
  }).optional(),
  upload: z.object({ filename: z.string(), title: z.string(), contentBase64: z.string(), altText: z.string().optional() }).optional(),
});

/** Also reads PostgreSQL rows: src/adapters/postgres keeps these columns. */
export function toItem(r: unknown): OutboxItem {
  const x = row.parse(r);
  return {
    id: x.id, kind: x.kind, channelId: x.channel_id, proposalId: x.proposal_id, incidentId: x.incident_id,
    payload: payload.parse(JSON.parse(x.payload)), attempts: x.attempts, priority: x.priority, nextAttemptAt: x.next_attempt_at,
    ...(x.sending_since ? { sendingSince: x.sending_since } : {}),
  };
}

/**
 * Which stream an item joins: a proposal's thread; an incident's header and the replies under it
 * (one stream, so the header is posted before anything threads under it); else a channel's top level.
 */
export function outboxStream(kind: OutboxKind, proposalId: string | null, incidentId: string | null, channelId: string | null): string {
  if (proposalId) return `proposal:${proposalId}`;
  if (incidentId && (kind === 'update_incident' || kind === 'thread')) return `incident:${incidentId}`;
  return `channel:${channelId ?? ''}`;
}

export class Outbox {
  constructor(private readonly db: Db) {}

  /** Called inside the transaction of the change the message reports. */
  enqueue(kind: OutboxKind, target: { channelId?: string | null; proposalId?: string | null; incidentId?: string | null }, body: OutboxPayload, now: string, priority: OutboxPriority = 0): number {
    if (kind === 'pagerduty_note' || kind === 'pagerduty_resolve') {
      // Notes to PagerDuty keep their own order and never wait for Slack.
      const res = prep(this.db, 'INSERT INTO outbox (kind, incident_id, payload, created_at, next_attempt_at, priority, stream) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(kind, target.incidentId ?? null, JSON.stringify(body), now, now, priority, `pagerduty:${target.incidentId ?? ''}`);
      return Number(res.lastInsertRowid);
    }
    const proposalId = target.proposalId ?? null;
    const channelId = target.channelId ?? (proposalId ? (prep(this.db, 'SELECT channel_id FROM proposals WHERE id = ?').pluck().get(proposalId) as string | undefined) ?? null : null);
    const stream = outboxStream(kind, proposalId, target.incidentId ?? null, channelId);
    const res = prep(this.db, 'INSERT INTO outbox (kind, channel_id, proposal_id, incident_id, payload, created_at, next_attempt_at, priority, stream) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(kind, channelId, proposalId, target.incidentId ?? null, JSON.stringify(body), now, now, priority, stream);
    return Number(res.lastInsertRowid);
  }

  /**
   * The oldest unsent item of every stream, most urgent first. Only a stream's head may be
   * sent, so a thread always reads in the order things happened, even across retries.
   */
  heads(): OutboxItem[] {
    return prep(this.db, `SELECT o.* FROM outbox o
      WHERE o.sent_at IS NULL AND o.id = (SELECT min(id) FROM outbox p WHERE p.stream = o.stream AND p.sent_at IS NULL)
      ORDER BY o.priority, o.id`).all().map(toItem);
  }

  /** Before the message is posted: it may be in Slack from now on, though not marked sent. */
  markSending(id: number, now: string): void {
    prep(this.db, 'UPDATE outbox SET sending_since = coalesce(sending_since, ?) WHERE id = ?').run(now, id);
  }

  markSent(id: number, now: string): void {
    prep(this.db, 'UPDATE outbox SET sent_at = ? WHERE id = ?').run(now, id);
  }

  /** Later re-renders of the same proposal make this one redundant: one edit carries them all. */
  markProposalUpdatesSent(proposalId: string, uptoId: number, now: string): void {
    prep(this.db, "UPDATE outbox SET sent_at = ? WHERE kind = 'update_proposal' AND proposal_id = ? AND id <= ? AND sent_at IS NULL").run(now, proposalId, uptoId);
  }

  /** The newest queued re-render of a proposal, if one is waiting behind `afterId`. */
  laterProposalUpdate(proposalId: string, afterId: number): number | undefined {
    return prep(this.db, "SELECT id FROM outbox WHERE kind = 'update_proposal' AND proposal_id = ? AND id > ? AND sent_at IS NULL ORDER BY id DESC LIMIT 1").pluck().get(proposalId, afterId) as number | undefined;
  }

  /** As for proposals: one edit of the incident header carries every update queued up to `uptoId`. */
  markIncidentUpdatesSent(incidentId: string, uptoId: number, now: string): void {
    prep(this.db, "UPDATE outbox SET sent_at = ? WHERE kind = 'update_incident' AND incident_id = ? AND id <= ? AND sent_at IS NULL").run(now, incidentId, uptoId);
  }

  /** The newest queued re-render of an incident header, if one is waiting behind `afterId`. */
  laterIncidentUpdate(incidentId: string, afterId: number): number | undefined {
    return prep(this.db, "SELECT id FROM outbox WHERE kind = 'update_incident' AND incident_id = ? AND id > ? AND sent_at IS NULL ORDER BY id DESC LIMIT 1").pluck().get(incidentId, afterId) as number | undefined;
  }

  following(id: number, limit: number): OutboxItem[] {
    return prep(this.db, 'SELECT * FROM outbox WHERE stream = (SELECT stream FROM outbox WHERE id = ?) AND id > ? AND sent_at IS NULL ORDER BY id LIMIT ?').all(id, id, limit).map(toItem);
  }

  markFailed(id: number, error: string, nextAttemptAt: string): void {
    prep(this.db, 'UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?').run(error, nextAttemptAt, id);
  }

  pending(): number {
    return prep(this.db, 'SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck().get() as number;
  }
}
