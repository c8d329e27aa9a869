import type { Migration } from './index.js';

/** Marks measurements that had no data only because a sample judge was still collecting post-deploy samples. */
export const measurementCollecting: Migration = {
  version: 8,
  name: 'measurement-collecting',
  sql: 'ALTER TABLE measurements ADD COLUMN collecting INTEGER NOT NULL DEFAULT 0;',
};
