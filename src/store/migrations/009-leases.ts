import type { Migration } from './index.js';

/**
 * Named leases (the leader lease). A released or expired row stays, so its fencing counter keeps
 * growing across holders; times are the domain's ISO strings, compared bytewise.
 */
export const leases: Migration = {
  version: 9,
  name: 'leases',
  sql: `
    CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      fencing INTEGER NOT NULL CHECK (fencing > 0),
      acquired_at TEXT NOT NULL
    );
  `,
};
