import type { Migration } from './index.js';

// Reports of game-day drills (src/drills): the trend `backstop drill report` prints and the
// drills counter of /metrics. The whole report is kept as JSON; the columns are what is queried.
export const drills: Migration = {
  version: 5,
  name: 'drills',
  sql: `
    CREATE TABLE drill_reports (
      id TEXT PRIMARY KEY,
      scenario TEXT NOT NULL,
      service TEXT NOT NULL,
      started_at TEXT NOT NULL,
      finished_at TEXT NOT NULL,
      outcome TEXT NOT NULL,
      expected TEXT NOT NULL,
      passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
      time_to_safety_ms INTEGER,
      report TEXT NOT NULL
    );
    CREATE INDEX drill_reports_started ON drill_reports (started_at);
    CREATE INDEX drill_reports_scenario ON drill_reports (scenario, started_at);
  `,
};
