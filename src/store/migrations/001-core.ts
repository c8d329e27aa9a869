import type { Migration } from './index.js';

export const core: Migration = {
  version: 1,
  name: 'core',
  sql: `
    CREATE TABLE incidents (
      id TEXT PRIMARY KEY,
      service TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
      title TEXT NOT NULL,
      severity TEXT,
      channel_id TEXT,
      opened_at TEXT NOT NULL,
      resolved_at TEXT,
      resolved_by TEXT,
      postmortem_path TEXT
    );
    -- At most one open incident per service: concurrent alerts join it instead of racing.
    CREATE UNIQUE INDEX incidents_one_open ON incidents (service) WHERE status = 'open';
    CREATE INDEX incidents_service_opened ON incidents (service, opened_at);

    CREATE TABLE alerts (
      fingerprint TEXT NOT NULL,
      starts_at TEXT NOT NULL,
      source TEXT NOT NULL,
      service TEXT,
      incident_id TEXT REFERENCES incidents (id),
      status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
      name TEXT NOT NULL,
      severity TEXT,
      summary TEXT,
      labels TEXT NOT NULL,
      annotations TEXT NOT NULL,
      ends_at TEXT,
      received_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (fingerprint, starts_at)
    );
    CREATE INDEX alerts_incident ON alerts (incident_id, status);

    CREATE TABLE proposals (
      id TEXT PRIMARY KEY,
      incident_id TEXT NOT NULL REFERENCES incidents (id),
      service TEXT NOT NULL,
      state TEXT NOT NULL,
      rev INTEGER NOT NULL DEFAULT 0,
      from_version TEXT,
      to_version TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      reason TEXT NOT NULL,
      required_approvals INTEGER NOT NULL,
      approvals TEXT NOT NULL DEFAULT '[]',
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      decided_at TEXT,
      decided_by TEXT,
      decision_reason TEXT,
      executed_at TEXT,
      verified_at TEXT,
      sli_before TEXT NOT NULL,
      sli_after TEXT,
      execution_detail TEXT,
      channel_id TEXT NOT NULL,
      message_ts TEXT
    );
    -- One live proposal per service: a second trigger joins the first instead of stacking.
    CREATE UNIQUE INDEX proposals_one_live ON proposals (service) WHERE state IN ('pending', 'approved', 'executing', 'executed');
    CREATE INDEX proposals_incident ON proposals (incident_id);

    -- Tamper-evident trail: each row carries the hash of the previous one.
    CREATE TABLE audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      incident_id TEXT,
      proposal_id TEXT,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      details TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    );
    CREATE INDEX audit_incident ON audit (incident_id, seq);

    -- Messages to Slack are written in the same transaction as the state change they report,
    -- then sent in order by one drainer, so a Slack outage delays them but loses none.
    CREATE TABLE outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL CHECK (kind IN ('post', 'thread', 'update_proposal', 'pagerduty_note', 'pagerduty_resolve')),
      channel_id TEXT,
      proposal_id TEXT,
      incident_id TEXT,
      payload TEXT NOT NULL,
      created_at TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT NOT NULL,
      last_error TEXT,
      sent_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox (sent_at, id);
  `,
};
