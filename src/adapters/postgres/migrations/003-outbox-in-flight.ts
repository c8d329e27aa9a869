import type { PgMigration } from './index.js';

/** As SQLite's migration 010: when an outbox item was first handed to Slack, unset until then. */
export const outboxInFlight: PgMigration = {
  version: 3,
  name: 'outbox-in-flight',
  sql: `
    ALTER TABLE outbox ADD COLUMN sending_since TEXT COLLATE "C";
  `,
};
