/**
 * Every endpoint that accepts outside input. The forgery and fuzz suites run against each
 * entry: a new intake or interaction endpoint joins them by adding one line here.
 */
import { readFileSync } from 'node:fs';

export const alertmanagerFiring = () => JSON.parse(readFileSync(new URL('../../../shared/fixtures/alertmanager/firing-two-alerts.json', import.meta.url), 'utf8')).body;

export interface IntakeEndpoint {
  name: string;
  path: string;
  /** How the sender proves itself. */
  auth: 'bearer';
  /** A well-formed body the endpoint accepts. */
  valid(): unknown;
}

export const INTAKE_ENDPOINTS: IntakeEndpoint[] = [
  { name: 'Alertmanager webhook', path: '/alerts/alertmanager', auth: 'bearer', valid: alertmanagerFiring },
];

/** Slack-signed endpoints (interactivity, slash commands, events). */
export const SLACK_ENDPOINTS = ['/slack/events'];
