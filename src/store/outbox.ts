import { z } from 'zod';
import type { Db } from './db.js';

export type OutboxKind = 'post' | 'thread' | 'update_proposal';

export interface OutboxItem {
  id: number;
  kind: OutboxKind;
  channelId: string | null;
  proposalId: string | null;
  incidentId: string | null;
  payload: { text: string; blocks?: unknown[] };
  attempts: number;
}

const row = z.object({
  id: z.number(), kind: z.enum(['post', 'thread', 'update_proposal']), channel_id: z.string().nullable(),
  proposal_id: z.string().nullable(), incident_id: z.string().nullable(), payload: z.string(), attempts: z.number(),
});
const payload = z.object({ text: z.string(), blocks: z.array(z.unknown()).optional() });

function toItem(r: unknown): OutboxItem {
  const x = row.parse(r);
  return { id: x.id, kind: x.kind, channelId: x.channel_id, proposalId: x.proposal_id, incidentId: x.incident_id, payload: payload.parse(JSON.parse(x.payload)), attempts: x.attempts };
}

export class Outbox {
  constructor(private readonly db: Db) {}

  /** Called inside the transaction of the change the message reports. */
  enqueue(kind: OutboxKind, target: { channelId?: string | null; proposalId?: string | null; incidentId?: string | null }, body: { text: string; blocks?: unknown[] }, now: string): number {
    const res = this.db.prepare('INSERT INTO outbox (kind, channel_id, proposal_id, incident_id, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(kind, target.channelId ?? null, target.proposalId ?? null, target.incidentId ?? null, JSON.stringify(body), now, now);
    return Number(res.lastInsertRowid);
  }

  /** Oldest unsent item; strict order keeps thread replies in the order they happened. */
  head(): (OutboxItem & { nextAttemptAt: string }) | undefined {
    const r = this.db.prepare('SELECT *, next_attempt_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1').get() as Record<string, unknown> | undefined;
    return r ? { ...toItem(r), nextAttemptAt: String(r.next_attempt_at) } : undefined;
  }

  markSent(id: number, now: string): void {
    this.db.prepare('UPDATE outbox SET sent_at = ? WHERE id = ?').run(now, id);
  }

  /** Later re-renders of the same proposal make this one redundant: one edit carries them all. */
  markProposalUpdatesSent(proposalId: string, uptoId: number, now: string): void {
    this.db.prepare("UPDATE outbox SET sent_at = ? WHERE kind = 'update_proposal' AND proposal_id = ? AND id <= ? AND sent_at IS NULL").run(now, proposalId, uptoId);
  }

  laterProposalUpdate(proposalId: string, afterId: number): number | undefined {
    return this.db.prepare("SELECT id FROM outbox WHERE kind = 'update_proposal' AND proposal_id = ? AND id > ? AND sent_at IS NULL ORDER BY id DESC LIMIT 1").pluck().get(proposalId, afterId) as number | undefined;
  }

  markFailed(id: number, error: string, nextAttemptAt: string): void {
    this.db.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?').run(error, nextAttemptAt, id);
  }

  pending(): number {
    return this.db.prepare('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck().get() as number;
  }
}
