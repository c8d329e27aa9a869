import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Alert } from '../domain/alert.js';

/** PagerDuty Webhooks v3: `{event: {id, event_type, resource_type, occurred_at, agent, data}}`. */
export const pagerDutyWebhook = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'an event type such as "incident.triggered"'),
    resource_type: z.string(),
    occurred_at: z.iso.datetime({ offset: true }),
    agent: z.object({ id: z.string().optional(), summary: z.string().optional() }).nullable().optional(),
    data: z.object({
      id: z.string().min(1),
      type: z.string(),
      title: z.string().optional(),
      status: z.string().optional(),
      urgency: z.string().optional(),
      html_url: z.string().optional(),
      incident_key: z.string().nullable().optional(),
      service: z.object({ id: z.string(), summary: z.string().optional() }).optional(),
      priority: z.object({ summary: z.string().optional() }).nullable().optional(),
    }).passthrough(),
  }),
});

export type PagerDutyWebhook = z.output<typeof pagerDutyWebhook>;

/** True if any `v1=` signature in the header matches: PagerDuty sends several while a secret rotates. */
export function verifyPagerDutySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  return header.split(',').map((s) => Buffer.from(s.trim())).some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected));
}

const FIRING = new Set(['incident.triggered', 'incident.reopened', 'incident.unacknowledged', 'incident.escalated']);

export type PagerDutyIntake =
  | { kind: 'alert'; alert: Alert }
  | { kind: 'acknowledged'; incidentId: string; by: string }
  | { kind: 'ignored'; reason: string };

/**
 * Maps an incident event onto an alert: one PagerDuty incident is one alert, keyed by its id,
 * with labels a policy can match (`pagerduty_service_id`, `pagerduty_service`, `urgency`).
 */
export function normalisePagerDuty(body: PagerDutyWebhook): PagerDutyIntake {
  const { event } = body;
  const d = event.data;
  if (event.resource_type !== 'incident' || d.type !== 'incident') return { kind: 'ignored', reason: `not an incident event (${event.resource_type})` };
  if (event.event_type === 'incident.acknowledged') return { kind: 'acknowledged', incidentId: d.id, by: event.agent?.summary ?? 'someone' };
  const resolved = event.event_type === 'incident.resolved';
  if (!resolved && !FIRING.has(event.event_type)) return { kind: 'ignored', reason: `${event.event_type} does not change the incident` };
  const labels: Record<string, string> = { alertname: d.title ?? `PagerDuty incident ${d.id}`, pagerduty_incident: d.id };
  if (d.service) {
    labels.pagerduty_service_id = d.service.id;
    if (d.service.summary) labels.pagerduty_service = d.service.summary;
  }
  if (d.urgency) labels.urgency = d.urgency;
  return {
    kind: 'alert',
    alert: {
      source: 'pagerduty',
      fingerprint: `pagerduty-${d.id}`,
      // One PagerDuty incident is one alert for its whole life: its id is the key.
      startsAt: `pagerduty:${d.id}`,
      endsAt: resolved ? event.occurred_at : null,
      status: resolved ? 'resolved' : 'firing',
      name: d.title ?? `PagerDuty incident ${d.id}`,
      severity: d.urgency ?? null,
      summary: d.title ?? null,
      labels,
      annotations: d.html_url ? { pagerduty_url: d.html_url } : {},
    },
  };
}
