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
