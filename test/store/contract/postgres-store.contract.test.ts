import { afterAll, beforeAll, describe } from 'vitest';
import { openPostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { TEST_AUDIT_KEY } from '../../support/audit-key.js';
import { postgresInstalled, PostgresServer } from '../../support/postgres.js';
import type { OpenOptions, OpenStore } from './engine.js';
import { describeStoreContract } from './store-contract.js';

/** A store on the database at `url`, as one replica opens it (its own pool). */
async function open(url: string, opts: OpenOptions = {}): Promise<OpenStore> {
  const store = await openPostgresStore(url, { auditKey: TEST_AUDIT_KEY, auditHead: opts.auditHead, onAuditHeadError: opts.onAuditHeadError });
  return {
    store,
    verifyAudit: (anchor) => store.verifyAudit({ anchor }),
    auditHead: () => store.auditHead(),
    exec: async (sql) => void (await store.pool.query(sql)),
    open: (o) => open(url, o),
    close: () => store.close(),
  };
}

const skip = !postgresInstalled() && !process.env.CI;

describe.skipIf(skip)('PostgreSQL (a real server for this file, a fresh schema per test)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreContract({
    name: 'PostgreSQL',
    replicas: true,
    fresh: async (opts) => open((await server.freshSchema()).url, opts),
  });
});
