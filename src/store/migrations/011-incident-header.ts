import type { Migration } from './index.js';

/**
 * The incident header (one message per incident, updated in place), its status updates, the
 * alert's link back to its source (Alertmanager's generatorURL), and uploaded files
 * (postmortem draft, SLI chart). SQLite cannot alter a CHECK, so the outbox is rebuilt with the
 * new kinds, rows and ids kept.
 */
export const incidentHeader: Migration = {
  version: 11,
  name: 'incident-header',
  sql: `
    ALTER TABLE incidents ADD COLUMN header_ts TEXT;
    ALTER TABLE incidents ADD COLUMN status_update_at TEXT;
    ALTER TABLE alerts ADD COLUMN generator_url TEXT;

    CREATE TABLE outbox_next (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL CHECK (kind IN ('post', 'thread', 'update_proposal', 'update_incident', 'upload', 'pagerduty_note', 'pagerduty_resolve')),
      channel_id TEXT,
      proposal_id TEXT,
      incident_id TEXT,
      payload TEXT NOT NULL,
      created_at TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT NOT NULL,
      last_error TEXT,
      sent_at TEXT,
      priority INTEGER NOT NULL DEFAULT 1,
      stream TEXT NOT NULL DEFAULT '',
      sending_since TEXT
    );
    INSERT INTO outbox_next (id, kind, channel_id, proposal_id, incident_id, payload, created_at, attempts, next_attempt_at, last_error, sent_at, priority, stream, sending_since)
      SELECT id, kind, channel_id, proposal_id, incident_id, payload, created_at, attempts, next_attempt_at, last_error, sent_at, priority, stream, sending_since FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_next RENAME TO outbox;
    CREATE INDEX outbox_pending ON outbox (sent_at, id);
    CREATE INDEX outbox_stream ON outbox (stream, sent_at, id);
  `,
};
