import { z } from 'zod';
import type { Alert } from '../domain/alert.js';

/** Alertmanager webhook payload, version 4 (checked against Alertmanager 0.25 captures). */
const labels = z.record(z.string(), z.string());

export const alertmanagerPayload = z.object({
  version: z.literal('4', { error: 'only Alertmanager webhook payload version "4" is supported' }),
  receiver: z.string(),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(z.object({
    status: z.enum(['firing', 'resolved']),
    labels: labels.refine((l) => typeof l.alertname === 'string' && l.alertname.length > 0, 'every alert needs an `alertname` label'),
    annotations: labels.default({}),
    startsAt: z.iso.datetime({ offset: true, error: 'an RFC 3339 time such as 2026-11-23T08:32:13Z' }),
    endsAt: z.string(),
    generatorURL: z.string().default(''),
    fingerprint: z.string().regex(/^[0-9a-f]{1,64}$/, 'a hex fingerprint as Alertmanager sends'),
  })).min(1, 'a delivery carries at least one alert').max(1000, 'at most 1000 alerts per delivery; lower max_alerts in the webhook config'),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().default(''),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().default(0),
});

export type AlertmanagerPayload = z.output<typeof alertmanagerPayload>;

/** Alertmanager's "zero" time for firing alerts; not a real end. */
const ZERO_TIME = /^0001-01-01T00:00:00/;

export function normaliseAlertmanager(p: AlertmanagerPayload): Alert[] {
  return p.alerts.map((a) => ({
    source: 'alertmanager' as const,
    fingerprint: a.fingerprint,
    startsAt: a.startsAt,
    endsAt: ZERO_TIME.test(a.endsAt) ? null : a.endsAt,
    status: a.status,
    name: a.labels.alertname ?? 'unnamed',
    severity: a.labels.severity ?? null,
    summary: a.annotations.summary ?? a.annotations.description ?? null,
    labels: a.labels,
    annotations: a.annotations,
    generatorUrl: a.generatorURL || null,
  }));
}
