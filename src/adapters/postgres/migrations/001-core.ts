import { GENESIS_HASH } from '../../../domain/audit.js';
import type { PgMigration } from './index.js';

/**
 * The store port's tables, column for column as in SQLite (src/store/migrations), so both engines
 * share the row mappers. Timestamps are the domain's ISO strings as TEXT, compared bytewise
 * (COLLATE "C", as SQLite does) whatever the database's locale; JSON stays TEXT so it
 * round-trips exactly. Registry, ledger and drill tables are not here: they stay in SQLite.
 */
export const core: PgMigration = {
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
      opened_at TEXT COLLATE "C" NOT NULL,
      resolved_at TEXT COLLATE "C",
      resolved_by TEXT,
      postmortem_path TEXT,
      pagerduty_incident TEXT
    );
    -- At most one open incident per service: a concurrent insert fails instead of stacking.
    CREATE UNIQUE INDEX incidents_one_open ON incidents (service) WHERE status = 'open';
    CREATE INDEX incidents_service_opened ON incidents (service, opened_at);
    CREATE INDEX incidents_pagerduty ON incidents (pagerduty_incident) WHERE pagerduty_incident IS NOT NULL;
    CREATE INDEX incidents_channel ON incidents (channel_id, opened_at);

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
      received_at TEXT COLLATE "C" NOT NULL,
      updated_at TEXT COLLATE "C" NOT NULL,
      -- Arrival order among alerts received in the same instant (SQLite's rowid).
      seq BIGINT GENERATED ALWAYS AS IDENTITY,
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
      created_at TEXT COLLATE "C" NOT NULL,
      expires_at TEXT COLLATE "C" NOT NULL,
      decided_at TEXT COLLATE "C",
      decided_by TEXT,
      decision_reason TEXT,
      executed_at TEXT COLLATE "C",
      verified_at TEXT COLLATE "C",
      sli_before TEXT NOT NULL,
      sli_after TEXT,
      execution_detail TEXT,
      channel_id TEXT NOT NULL,
      message_ts TEXT,
      automatic INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
      auto_execute_at TEXT COLLATE "C",
      break_glass TEXT,
      preflight TEXT,
      baseline_at TEXT COLLATE "C",
      plan TEXT,
      read_back TEXT
    );
    -- One live proposal per service: a concurrent insert fails instead of stacking.
    CREATE UNIQUE INDEX proposals_one_live ON proposals (service) WHERE state IN ('pending', 'approved', 'executing', 'executed');
    CREATE INDEX proposals_incident ON proposals (incident_id);
    CREATE INDEX proposals_service_created ON proposals (service, created_at);
    CREATE INDEX proposals_service_executed ON proposals (service, executed_at) WHERE executed_at IS NOT NULL;
    CREATE INDEX proposals_pending_due ON proposals (state, expires_at);

    -- Tamper-evident trail: each row carries the MAC of the previous one. seq is given by the
    -- appender (the chain head's seq + 1), so it has no gaps and follows the chain.
    CREATE TABLE audit (
      seq BIGINT PRIMARY KEY,
      at TEXT COLLATE "C" NOT NULL,
      incident_id TEXT,
      proposal_id TEXT,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      details TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL,
      scheme TEXT NOT NULL DEFAULT 'hmac-sha256' CHECK (scheme IN ('sha256', 'hmac-sha256')),
      key_id TEXT
    );
    CREATE INDEX audit_incident ON audit (incident_id, seq);
    CREATE INDEX audit_proposal ON audit (proposal_id, seq);

    -- The chain's last row, one row only. Appenders lock it (SELECT ... FOR UPDATE) until they
    -- commit, so replicas appending at once still write one line; the anchor reads it in O(1).
    CREATE TABLE audit_chain (
      id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
      rows BIGINT NOT NULL,
      seq BIGINT NOT NULL,
      hash TEXT NOT NULL,
      at TEXT
    );
    INSERT INTO audit_chain (rows, seq, hash, at) VALUES (0, 0, '${GENESIS_HASH}', NULL);

    -- Messages written in the transaction of the change they report; only a stream's oldest
    -- unsent row may be sent. Ids are in commit order: every enqueue holds the store's write lock.
    CREATE TABLE outbox (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('post', 'thread', 'update_proposal', 'pagerduty_note', 'pagerduty_resolve')),
      channel_id TEXT,
      proposal_id TEXT,
      incident_id TEXT,
      payload TEXT NOT NULL,
      created_at TEXT COLLATE "C" NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT COLLATE "C" NOT NULL,
      last_error TEXT,
      sent_at TEXT COLLATE "C",
      priority INTEGER NOT NULL DEFAULT 1,
      stream TEXT NOT NULL
    );
    CREATE INDEX outbox_stream_unsent ON outbox (stream, id) WHERE sent_at IS NULL;
    CREATE INDEX outbox_proposal_updates ON outbox (proposal_id, id) WHERE kind = 'update_proposal' AND sent_at IS NULL;

    CREATE TABLE seen_requests (
      signature TEXT PRIMARY KEY,
      at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX seen_requests_at ON seen_requests (at);

    CREATE TABLE deploys (
      seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      service TEXT NOT NULL,
      version TEXT NOT NULL,
      at TEXT COLLATE "C" NOT NULL,
      by TEXT NOT NULL,
      received_at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX deploys_service_at ON deploys (service, at);

    CREATE TABLE measurements (
      seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      service TEXT NOT NULL,
      sli TEXT NOT NULL,
      at TEXT COLLATE "C" NOT NULL,
      verdict TEXT NOT NULL CHECK (verdict IN ('ok', 'breach', 'no_data', 'error')),
      value DOUBLE PRECISION,
      baseline DOUBLE PRECISION,
      reason TEXT NOT NULL,
      collecting INTEGER NOT NULL DEFAULT 0 CHECK (collecting IN (0, 1))
    );
    CREATE INDEX measurements_service_sli ON measurements (service, sli, seq);

    CREATE TABLE executions (
      proposal_id TEXT PRIMARY KEY REFERENCES proposals (id),
      attempts INTEGER NOT NULL DEFAULT 0,
      started_at TEXT COLLATE "C" NOT NULL,
      last_attempt_at TEXT COLLATE "C",
      last_error TEXT,
      finished_at TEXT COLLATE "C",
      outcome TEXT
    );
  `,
};
