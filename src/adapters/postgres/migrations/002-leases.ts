import type { PgMigration } from './index.js';

/** The lease that decides which replica runs timed work (src/adapters/postgres/lease.ts). */
export const leases: PgMigration = {
  version: 2,
  name: 'leases',
  sql: `
    CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      expires_at TIMESTAMPTZ NOT NULL,
      fencing BIGINT NOT NULL CHECK (fencing > 0),
      acquired_at TIMESTAMPTZ NOT NULL
    );
  `,
};
