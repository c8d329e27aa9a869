import type { Migration } from './index.js';

export const reliability: Migration = {
  version: 3,
  name: 'reliability',
  sql: `
    -- Signatures of Slack requests already accepted: a replayed request is refused even after a restart.
    CREATE TABLE seen_requests (
      signature TEXT PRIMARY KEY,
      at TEXT NOT NULL
    );
    CREATE INDEX seen_requests_at ON seen_requests (at);

    -- Outbox scheduling: priority (decisions before chatter) and per-channel pacing.
    -- stream: messages of one thread (or one channel's top level) are sent strictly in order.
    ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE outbox ADD COLUMN stream TEXT NOT NULL DEFAULT '';
    CREATE INDEX outbox_stream ON outbox (stream, sent_at, id);

    -- Execution attempts, so a restart knows what was tried and never re-runs blindly.
    CREATE TABLE executions (
      proposal_id TEXT PRIMARY KEY REFERENCES proposals (id),
      attempts INTEGER NOT NULL DEFAULT 0,
      started_at TEXT NOT NULL,
      last_attempt_at TEXT,
      last_error TEXT,
      finished_at TEXT,
      outcome TEXT
    );
  `,
};
