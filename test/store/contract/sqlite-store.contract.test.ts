import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../../src/store/db.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { Store } from '../../../src/store/store.js';
import { TEST_AUDIT_KEY } from '../../support/audit-key.js';
import type { OpenOptions, OpenStore } from './engine.js';
import { describeStoreContract } from './store-contract.js';

/** A store on the SQLite file `file`, as the bot opens it. */
function open(file: string, opts: OpenOptions = {}, cleanup?: () => void): OpenStore {
  const db = openDb(file);
  const sqlite = new Store(db, { auditKey: TEST_AUDIT_KEY, auditHead: opts.auditHead ?? null, onAuditHeadError: opts.onAuditHeadError });
  return {
    store: new SqliteStore(sqlite),
    verifyAudit: (anchor) => Promise.resolve(sqlite.audit.verify({ anchor })),
    auditHead: () => Promise.resolve(sqlite.audit.head()),
    exec: (sql) => Promise.resolve(void db.exec(sql)),
    open: (o) => Promise.resolve(open(file, o)),
    close: () => {
      db.close();
      cleanup?.();
      return Promise.resolve();
    },
  };
}

describeStoreContract({
  name: 'SQLite',
  // One process holds the write lock; a second connection in the same thread would block it.
  replicas: false,
  fresh: (opts) => {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-contract-sqlite-'));
    return Promise.resolve(open(join(dir, 'backstop.db'), opts, () => rmSync(dir, { recursive: true, force: true })));
  },
});
