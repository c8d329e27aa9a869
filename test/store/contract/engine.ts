import type { AuditHead } from '../../../src/domain/audit.js';
import type { StorePort } from '../../../src/ports/store.js';
import type { ChainCheck } from '../../../src/store/audit-chain.js';

export interface OpenOptions {
  /** Anchor file for the audit head; absent: none. */
  auditHead?: string;
  onAuditHeadError?: (error: unknown, file: string) => void;
}

/** One store on a database, and what the suite needs to look at that database from outside the port. */
export interface OpenStore {
  store: StorePort;
  verifyAudit(anchor?: AuditHead): Promise<ChainCheck>;
  auditHead(): Promise<AuditHead>;
  /** Raw SQL the port would never run: what someone with write access to the database could do. */
  exec(sql: string): Promise<void>;
  /** Another store on the same database, as a restarted bot or a second replica opens it. */
  open(opts?: OpenOptions): Promise<OpenStore>;
  close(): Promise<void>;
}

export interface Engine {
  name: string;
  /** Whether two stores on one database may run transactions at the same time (separate processes or pools). */
  replicas: boolean;
  /** A store on a new, empty database. */
  fresh(opts?: OpenOptions): Promise<OpenStore>;
}
