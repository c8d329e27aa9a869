import { AlertRepo } from './alerts.js';
import { AuditLog } from './audit-log.js';
import type { Db } from './db.js';
import { DeployRepo } from './deploys.js';
import { MeasurementRepo } from './measurements.js';
import { SeenRequests } from './seen-requests.js';
import { ExecutionRepo } from './executions.js';
import { IncidentRepo } from './incidents.js';
import { Outbox } from './outbox.js';
import { ProposalRepo } from './proposals.js';

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

  constructor(readonly db: Db) {
    this.incidents = new IncidentRepo(db);
    this.alerts = new AlertRepo(db);
    this.proposals = new ProposalRepo(db);
    this.audit = new AuditLog(db);
    this.outbox = new Outbox(db);
    this.executions = new ExecutionRepo(db);
    this.deploys = new DeployRepo(db);
    this.seen = new SeenRequests(db);
    this.measurements = new MeasurementRepo(db);
  }

  /** IMMEDIATE so concurrent writers queue on the lock instead of failing at commit. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
