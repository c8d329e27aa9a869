import type { Migration } from './index.js';

// What Backstop saw or made a rollback target point at, for targets that keep no history of
// their own (an MLflow alias is only a pointer). Read by src/adapters/ledger.ts.
export const adapterLedger: Migration = {
  version: 4,
  name: 'adapter-ledger',
  sql: `
    CREATE TABLE target_ledger (
      target TEXT NOT NULL,
      version TEXT NOT NULL,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('observed', 'rollback', 'shift')),
      -- The version a rollback moved away from, so it is never offered as last good again.
      from_version TEXT,
      -- A proposal id applied to this target: executing it again reports alreadyApplied.
      idempotency_key TEXT
    );
    CREATE INDEX target_ledger_target ON target_ledger (target, at);
    CREATE UNIQUE INDEX target_ledger_key ON target_ledger (target, idempotency_key) WHERE idempotency_key IS NOT NULL;
  `,
};
