import type { Migration } from './index.js';

// Tables of the embedded local model registry (src/adapters/local-registry).
export const localRegistry: Migration = {
  version: 2,
  name: 'local-registry',
  sql: `
    CREATE TABLE registry_versions (
      model TEXT NOT NULL,
      version TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'READY' CHECK (status IN ('READY', 'PENDING_REGISTRATION', 'FAILED_REGISTRATION')),
      source TEXT,
      created_at TEXT NOT NULL,
      PRIMARY KEY (model, version)
    );
    CREATE TABLE registry_aliases (
      model TEXT NOT NULL,
      alias TEXT NOT NULL,
      version TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (model, alias),
      FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
    );
    -- The alias's own history: what pointed where, when, why, and which version was judged good or bad.
    CREATE TABLE registry_history (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      model TEXT NOT NULL,
      alias TEXT NOT NULL,
      from_version TEXT,
      to_version TEXT NOT NULL,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      reason TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('promote', 'rollback')),
      idempotency_key TEXT UNIQUE
    );
    CREATE INDEX registry_history_model_alias ON registry_history (model, alias, seq);
    CREATE TABLE registry_marks (
      model TEXT NOT NULL,
      version TEXT NOT NULL,
      mark TEXT NOT NULL CHECK (mark IN ('good', 'bad')),
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      PRIMARY KEY (model, version),
      FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
    );
  `,
};
