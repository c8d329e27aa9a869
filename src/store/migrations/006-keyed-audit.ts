import type { Migration } from './index.js';

// Audit rows sealed with a key kept outside the database (HMAC-SHA256). Rows written before
// this migration keep scheme 'sha256' and still verify as legacy; key_id names the key that
// sealed a keyed row, so a wrong key is reported as such rather than as tampering.
export const keyedAudit: Migration = {
  version: 6,
  name: 'keyed-audit',
  sql: `
    ALTER TABLE audit ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256' CHECK (scheme IN ('sha256', 'hmac-sha256'));
    ALTER TABLE audit ADD COLUMN key_id TEXT;
  `,
};
