import { AlertRepo } from './alerts.js';
import { defaultHeadFile } from './audit-anchor.js';
import type { AuditKey } from './audit-key.js';
import { AuditLog } from './audit-log.js';
import type { Db } from './db.js';
import { DeployRepo } from './deploys.js';
import { MeasurementRepo } from './measurements.js';
import { SeenRequests } from './seen-requests.js';
import { ExecutionRepo } from './executions.js';
import { IncidentRepo } from './incidents.js';
import { Outbox } from './outbox.js';
import { ProposalRepo } from './proposals.js';

export interface StoreOptions {
  /** Seals audit rows (BACKSTOP_AUDIT_KEY); kept out of the database on purpose. */
  auditKey: AuditKey | string;
  /** Anchor file for the audit chain's head (default `<db file>.audit-head`; null: none). */
  auditHead?: string | null;
  onAuditHeadError?: (error: unknown, file: string) => void;
}

/** The repositories over one database, and the one way to write several of them atomically. */
export class Store {
  readonly incidents: IncidentRepo;
  readonly alerts: AlertRepo;
  readonly proposals: ProposalRepo;
  readonly audit: AuditLog;
  readonly outbox: Outbox;
  readonly executions: ExecutionRepo;
  readonly deploys: DeployRepo;
  readonly seen: SeenRequests;
  readonly measurements: MeasurementRepo;

  constructor(readonly db: Db, opts: StoreOptions) {
    this.incidents = new IncidentRepo(db);
    this.alerts = new AlertRepo(db);
    this.proposals = new ProposalRepo(db);
    const headFile = opts.auditHead === undefined ? (db.memory ? null : defaultHeadFile(db.name)) : opts.auditHead;
    this.audit = new AuditLog(db, { key: opts.auditKey, headFile, onHeadError: opts.onAuditHeadError });
    this.outbox = new Outbox(db);
    this.executions = new ExecutionRepo(db);
    this.deploys = new DeployRepo(db);
    this.seen = new SeenRequests(db);
    this.measurements = new MeasurementRepo(db);
  }

  /**
   * IMMEDIATE so concurrent writers queue on the lock instead of failing at commit. The
   * outermost transaction, once committed, anchors the audit head if it appended rows.
   */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) {
      try {
        return this.db.transaction(fn).immediate();
      } catch (err) {
        // Only the savepoint rolled back: the audit log must not chain onto a row that is gone.
        this.audit.savepointRolledBack();
        throw err;
      }
    }
    let committed = false;
    try {
      const result = this.db.transaction(fn).immediate();
      committed = true;
      return result;
    } finally {
      this.audit.afterTransaction(committed);
    }
  }
}
