import type { PgMigration } from './index.js';

/** As SQLite's migration 011: the incident header, status updates, generatorURL, uploads. */
export const incidentHeader: PgMigration = {
  version: 4,
  name: 'incident-header',
  sql: `
    ALTER TABLE incidents ADD COLUMN header_ts TEXT COLLATE "C";
    ALTER TABLE incidents ADD COLUMN status_update_at TEXT COLLATE "C";
    ALTER TABLE alerts ADD COLUMN generator_url TEXT;
    ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
    ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('post', 'thread', 'update_proposal', 'update_incident', 'upload', 'pagerduty_note', 'pagerduty_resolve'));
  `,
};
