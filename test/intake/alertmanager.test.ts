import { describe, expect, it } from 'vitest';
import { alertmanagerPayload, normaliseAlertmanager } from '../../src/intake/alertmanager.js';
import { alertmanagerDelivery } from '../support/fixtures.js';

const fixture = (name: string) => alertmanagerDelivery(name);

describe('Alertmanager payload', () => {
  it('normalises the real Alertmanager 0.25 capture', () => {
    const alerts = normaliseAlertmanager(alertmanagerPayload.parse(fixture('firing-two-alerts.json')));
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({ fingerprint: 'ce0daa591dbe3482', status: 'firing', endsAt: null, name: 'ModelAccuracyDrop', severity: 'critical', summary: 'fraud-scorer accuracy below 0.85 for 10m' });
  });
  it('keeps startsAt exact so the resolution matches its firing', () => {
    const firing = normaliseAlertmanager(alertmanagerPayload.parse(fixture('firing-two-alerts.json')));
    const resolved = normaliseAlertmanager(alertmanagerPayload.parse(fixture('resolved-two-alerts.json')));
    expect(resolved.map((a) => a.startsAt)).toEqual(firing.map((a) => a.startsAt));
    expect(resolved[0]!.endsAt).toBe('2026-11-23T08:32:18Z');
  });
  it('names the bad field', () => {
    const body = fixture('firing-two-alerts.json');
    body.alerts[1].startsAt = 'yesterday';
    body.version = '3';
    const r = alertmanagerPayload.safeParse(body);
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['alerts.1.startsAt', 'version']));
  });
});
