import { describe } from 'vitest';
import { describeAudit } from './audit.js';
import { describeConcurrency } from './concurrency.js';
import { describeIncidentCommunication } from './incident-communication.js';
import type { Engine } from './engine.js';
import { describeQueues } from './queues.js';
import { describeRecords } from './records.js';
import { describeTransactions } from './transactions.js';

/**
 * What every implementation of the store port must do, run against each engine. A use case
 * written against the port behaves the same on SQLite and on PostgreSQL because of these.
 */
export function describeStoreContract(engine: Engine): void {
  describe(`store contract: ${engine.name}`, () => {
    describeRecords(engine);
    describeIncidentCommunication(engine);
    describeQueues(engine);
    describeTransactions(engine);
    describeAudit(engine);
    describeConcurrency(engine, false);
    if (engine.replicas) describeConcurrency(engine, true);
  });
}
