import { z } from 'zod';
import type { Alert } from '../domain/alert.js';

/**
 * Generic webhook (`POST /alerts/generic`) for any monitoring system. Signed like Backstop's
 * own outgoing webhooks: `X-Backstop-Timestamp` and `X-Backstop-Signature: v1=<hex
 * HMAC-SHA256(secret, "v1:<timestamp>:<raw body>")>`.
 */
export const genericPayload = z.object({
  alerts: z.array(z.object({
    /** Stable id of this alert in the sender; a repeat with the same id and startsAt is a duplicate. */
    id: z.string().min(1).max(200),
    status: z.enum(['firing', 'resolved']),
    name: z.string().min(1).max(200),
    labels: z.record(z.string(), z.string()).refine((l) => Object.keys(l).length > 0, 'give the labels your policy matches on, e.g. {"service": "fraud-scorer"}'),
    summary: z.string().max(2000).optional(),
    severity: z.string().max(50).optional(),
    startsAt: z.iso.datetime({ offset: true, error: 'an RFC 3339 time such as 2026-11-23T08:32:13Z' }),
    endsAt: z.iso.datetime({ offset: true }).optional(),
  }).strict()).min(1).max(1000),
}).strict();

export function normaliseGeneric(p: z.output<typeof genericPayload>): Alert[] {
  return p.alerts.map((a) => ({
    source: 'generic' as const,
    fingerprint: `generic-${a.id}`,
    startsAt: a.startsAt,
    endsAt: a.endsAt ?? null,
    status: a.status,
    name: a.name,
    severity: a.severity ?? null,
    summary: a.summary ?? null,
    labels: { alertname: a.name, ...a.labels },
    annotations: {},
  }));
}
