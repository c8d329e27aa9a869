/** An alert from any source, normalised. `(fingerprint, startsAt)` identifies one firing of one alert. */
export interface Alert {
  source: 'alertmanager' | 'pagerduty' | 'generic' | 'manual';
  fingerprint: string;
  startsAt: string;
  endsAt: string | null;
  status: 'firing' | 'resolved';
  name: string;
  severity: string | null;
  summary: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Where the alert comes from (Alertmanager's generatorURL: the Prometheus graph of its rule). */
  generatorUrl?: string | null;
}

export function alertKey(a: Pick<Alert, 'fingerprint' | 'startsAt'>): string {
  return `${a.fingerprint}@${a.startsAt}`;
}

function clean(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

function cleanRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [clean(k), clean(v)]));
}

/**
 * The alert without NUL characters: they mean nothing in alert text, and PostgreSQL refuses them
 * in text columns, which would fail the whole delivery's transaction.
 */
export function withoutNul(a: Alert): Alert {
  return {
    ...a, fingerprint: clean(a.fingerprint), name: clean(a.name),
    severity: a.severity === null ? null : clean(a.severity), summary: a.summary === null ? null : clean(a.summary),
    labels: cleanRecord(a.labels), annotations: cleanRecord(a.annotations),
  };
}
