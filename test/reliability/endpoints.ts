/**
 * Every endpoint that accepts outside input. The forgery and fuzz suites run against each
 * entry: a new intake or interaction endpoint joins them by adding one entry here.
 */
import { createHmac } from 'node:crypto';
import { signWebhook } from '../../src/adapters/http-webhook/adapter.js';
import { AM_TOKEN, DEPLOY_TOKEN, GENERIC_SECRET, PD_SECRET } from '../support/bot-fixture.js';
import { alertmanagerDelivery } from '../support/fixtures.js';

export const alertmanagerFiring = () => alertmanagerDelivery('firing-two-alerts.json');

export interface IntakeEndpoint {
  name: string;
  path: string;
  /** Headers that authenticate `body` as the real sender would. */
  authHeaders(body: string): Record<string, string>;
  /** Headers a forger might send: wrong token or signature. */
  forgedHeaders(body: string): Record<string, string>[];
  /** A well-formed body the endpoint accepts. */
  valid(): unknown;
  /** Dotted paths of fields whose removal or wrong type must be refused. */
  required: string[];
}

const now = () => Math.floor(Date.now() / 1000);
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const backstopSig = (secret: string, body: string, ts = now()) => ({ 'x-backstop-timestamp': String(ts), 'x-backstop-signature': signWebhook(secret, ts, body) });
const pdSig = (secret: string, body: string) => ({ 'x-pagerduty-signature': `v1=${createHmac('sha256', secret).update(body).digest('hex')}`, 'x-webhook-id': `wh-${Math.random()}` });

export const INTAKE_ENDPOINTS: IntakeEndpoint[] = [
  {
    name: 'Alertmanager webhook', path: '/alerts/alertmanager', valid: alertmanagerFiring,
    authHeaders: () => bearer(AM_TOKEN),
    forgedHeaders: (): Record<string, string>[] => [{}, bearer('wrong-token-wrong-token'), { authorization: `Basic ${AM_TOKEN}` }, bearer(AM_TOKEN.slice(0, -1))],
    required: ['version', 'status', 'alerts', 'receiver', 'groupKey', 'alerts.0.status', 'alerts.0.labels', 'alerts.0.labels.alertname', 'alerts.0.startsAt', 'alerts.0.endsAt', 'alerts.0.fingerprint'],
  },
  {
    name: 'generic webhook', path: '/alerts/generic',
    valid: () => ({ alerts: [{ id: 'gen-1', status: 'firing', name: 'LatencyHigh', labels: { service: 'fraud-scorer' }, startsAt: '2026-11-23T08:00:00Z' }] }),
    authHeaders: (body) => backstopSig(GENERIC_SECRET, body),
    forgedHeaders: (body): Record<string, string>[] => [{}, backstopSig('wrong-secret-wrong-secret', body), backstopSig(GENERIC_SECRET, body, now() - 600), { 'x-backstop-signature': backstopSig(GENERIC_SECRET, body)['x-backstop-signature'] }],
    required: ['alerts', 'alerts.0.id', 'alerts.0.status', 'alerts.0.name', 'alerts.0.labels', 'alerts.0.startsAt'],
  },
  {
    name: 'PagerDuty webhook', path: '/alerts/pagerduty',
    valid: () => ({ event: { id: '01ABC', event_type: 'incident.triggered', resource_type: 'incident', occurred_at: '2026-11-23T08:00:00Z', agent: null, data: { id: 'PINC999', type: 'incident', title: 'x', service: { id: 'PSVC999', summary: 'nobody' } } } }),
    authHeaders: (body) => pdSig(PD_SECRET, body),
    forgedHeaders: (body): Record<string, string>[] => [{}, pdSig('wrong-secret-wrong', body), { 'x-pagerduty-signature': 'v1=00,v2=11' }],
    required: ['event', 'event.id', 'event.event_type', 'event.resource_type', 'event.occurred_at', 'event.data', 'event.data.id', 'event.data.type'],
  },
  {
    name: 'deploy events', path: '/deploys',
    valid: () => ({ service: 'fraud-scorer', version: 'v42', by: 'ci' }),
    authHeaders: () => bearer(DEPLOY_TOKEN),
    forgedHeaders: (): Record<string, string>[] => [{}, bearer('wrong-token-wrong-token')],
    required: ['service', 'version', 'by'],
  },
];

/** Slack-signed endpoints (interactivity, slash commands, events). */
export const SLACK_ENDPOINTS = ['/slack/events'];
