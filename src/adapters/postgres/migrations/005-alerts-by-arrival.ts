import type { PgMigration } from './index.js';

/** As SQLite's migration 012: an incident's first alerts without sorting them all. */
export const alertsByArrival: PgMigration = {
  version: 5,
  name: 'alerts-by-arrival',
  sql: `
    CREATE INDEX alerts_incident_arrival ON alerts (incident_id, received_at, seq);
  `,
};
