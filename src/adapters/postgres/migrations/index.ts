import { core } from './001-core.js';
import { leases } from './002-leases.js';
import { outboxInFlight } from './003-outbox-in-flight.js';
import { incidentHeader } from './004-incident-header.js';
import { alertsByArrival } from './005-alerts-by-arrival.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/** Append-only: a released migration is never edited, only followed by a new one. */
export const pgMigrations: readonly PgMigration[] = [core, leases, outboxInFlight, incidentHeader, alertsByArrival];
