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
}

export function alertKey(a: Pick<Alert, 'fingerprint' | 'startsAt'>): string {
  return `${a.fingerprint}@${a.startsAt}`;
}
