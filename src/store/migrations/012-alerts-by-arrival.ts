import type { Migration } from './index.js';

/** The incident header lists an incident's first alerts: an index answers that without sorting them all. */
export const alertsByArrival: Migration = {
  version: 12,
  name: 'alerts-by-arrival',
  sql: `
    CREATE INDEX alerts_incident_arrival ON alerts (incident_id, received_at);
  `,
};
