import type { Migration } from './index.js';

/**
 * When an outbox item was first handed to Slack without being marked sent. A process that dies
 * between Slack accepting a message and `sent_at` committing leaves this set: the next sender
 * looks for the message in Slack (by the outbox id in its metadata) before posting it again.
 */
export const outboxInFlight: Migration = {
  version: 10,
  name: 'outbox-in-flight',
  sql: `
    ALTER TABLE outbox ADD COLUMN sending_since TEXT;
  `,
};
