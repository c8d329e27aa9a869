import type { Migration } from './index.js';

/**
 * What approvers were shown and what the target said afterwards: the plan (and what it was
 * computed against), the one pre-deploy baseline instant, and the read-back after execution.
 */
export const proposalVerification: Migration = {
  version: 7,
  name: 'proposal-verification',
  sql: `
    ALTER TABLE proposals ADD COLUMN baseline_at TEXT;
    ALTER TABLE proposals ADD COLUMN plan TEXT;
    ALTER TABLE proposals ADD COLUMN read_back TEXT;
  `,
};
