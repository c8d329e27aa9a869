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

    -- The PagerDuty incident an incident came from: notes and resolution go back to it.
    ALTER TABLE incidents ADD COLUMN pagerduty_incident TEXT;
    CREATE INDEX incidents_pagerduty ON incidents (pagerduty_incident) WHERE pagerduty_incident IS NOT NULL;
    CREATE INDEX incidents_channel ON incidents (channel_id, opened_at);

    -- Deploys reported by CI/CD (POST /deploys): baseline time and last-good version when the target cannot tell.
    CREATE TABLE deploys (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      service TEXT NOT NULL,
      version TEXT NOT NULL,
      at TEXT NOT NULL,
      by TEXT NOT NULL,
      received_at TEXT NOT NULL
    );
    CREATE INDEX deploys_service_at ON deploys (service, at);

    -- Automatic proposals and break-glass executions.
    ALTER TABLE proposals ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE proposals ADD COLUMN auto_execute_at TEXT;
    ALTER TABLE proposals ADD COLUMN break_glass TEXT;
    ALTER TABLE proposals ADD COLUMN preflight TEXT;
    -- History lookups per service (guards, /backstop history, last-good) must not scan every proposal.
    CREATE INDEX proposals_service_created ON proposals (service, created_at);
    CREATE INDEX proposals_service_executed ON proposals (service, executed_at) WHERE executed_at IS NOT NULL;
    CREATE INDEX proposals_pending_due ON proposals (state, expires_at);

    -- Continuous analysis: every measurement of every watched SLI, with its verdict and reason.
    CREATE TABLE measurements (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      service TEXT NOT NULL,
      sli TEXT NOT NULL,
      at TEXT NOT NULL,
      verdict TEXT NOT NULL CHECK (verdict IN ('ok', 'breach', 'no_data', 'error')),
      value REAL,
      baseline REAL,
      reason TEXT NOT NULL
    );
    CREATE INDEX measurements_service_sli ON measurements (service, sli, seq);

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
