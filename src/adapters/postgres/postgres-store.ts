import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { AuditHead } from '../../domain/audit.js';
import type { Repositories, StorePort } from '../../ports/store.js';
import type { ChainCheck } from '../../store/audit-chain.js';
import { auditKey, type AuditKey } from '../../store/audit-key.js';
import { PgHeadAnchor } from './audit-anchor.js';
import { readAuditHead } from './audit-trail.js';
import { verifyPostgresAudit } from './audit-verify.js';
import { lockForTransaction, schemaKey } from './locks.js';
import { migratePostgres } from './migrate.js';
import { checkEncoding, createPostgresPool, type PoolOptions } from './pool.js';
import { guarded, pgRepositories } from './repositories.js';
import { checkout } from './sql.js';

export interface PostgresStoreOptions extends PoolOptions {
  /** Seals audit rows (BACKSTOP_AUDIT_KEY); kept out of the database on purpose. */
  auditKey: AuditKey | string;
  /** Anchor file for the audit chain's head (BACKSTOP_AUDIT_HEAD); absent or null: none. */
  auditHead?: string | null;
  onAuditHeadError?: (error: unknown, file: string) => void;
}

/**
 * The store port over PostgreSQL, for several replicas on one database.
 *
 * Isolation: READ COMMITTED, and every `tx` first takes one advisory lock per schema
 * (`pg_advisory_xact_lock`), held to COMMIT or ROLLBACK. Write transactions therefore take
 * turns across replicas exactly as SQLite's BEGIN IMMEDIATE makes them take turns in one
 * process, and each one's statements see everything committed before it: a use case's
 * check-then-insert (one live proposal, one open incident) needs no retry. Each guarantee also
 * holds on its own in the schema, for writes outside `tx` and as a second line: the proposal
 * compare-and-swap is `UPDATE … WHERE rev`, partial unique indexes refuse a second live
 * proposal or open incident, alert dedupe and the replay guard are `ON CONFLICT DO NOTHING`,
 * and audit appends lock the chain head row. Reads outside `tx` run at once, on the pool.
 */
export class PostgresStore implements StorePort {
  readonly incidents: Repositories['incidents'];
  readonly alerts: Repositories['alerts'];
  readonly proposals: Repositories['proposals'];
  readonly audit: Repositories['audit'];
  readonly outbox: Repositories['outbox'];
  readonly executions: Repositories['executions'];
  readonly deploys: Repositories['deploys'];
  readonly seen: Repositories['seen'];
  readonly measurements: Repositories['measurements'];
  private readonly key: AuditKey;
  private readonly anchor: PgHeadAnchor | undefined;
  private readonly context = new AsyncLocalStorage<true>();
  /** This process's transactions queue here first, so only one pooled connection waits on the lock. */
  private turn: Promise<void> = Promise.resolve();

  constructor(readonly pool: pg.Pool, private readonly lockKey: number, opts: PostgresStoreOptions) {
    this.key = typeof opts.auditKey === 'string' ? auditKey(opts.auditKey) : opts.auditKey;
    this.anchor = opts.auditHead ? new PgHeadAnchor(pool, this.key, opts.auditHead, opts.onAuditHeadError) : undefined;
    const insideTx = () => (this.context.getStore() ? new Error('the store was used inside a transaction: use the repositories tx() handed you') : undefined);
    const outside = guarded(pgRepositories(pool, this.key), insideTx);
    // Appends and enqueues are ordered by the write lock, so outside a transaction each takes one of its own.
    const own = <T>(work: (r: Repositories) => Promise<T>): Promise<T> => {
      const refused = insideTx();
      return refused ? Promise.reject(refused) : this.tx(work);
    };
    this.incidents = outside.incidents;
    this.alerts = outside.alerts;
    this.proposals = outside.proposals;
    this.audit = {
      append: (input) => own((r) => r.audit.append(input)),
      forIncident: (id) => outside.audit.forIncident(id),
      forProposal: (id) => outside.audit.forProposal(id),
    };
    this.outbox = {
      enqueue: (kind, target, body, now, priority) => own((r) => r.outbox.enqueue(kind, target, body, now, priority)),
      heads: () => outside.outbox.heads(),
      markSending: (id, now) => outside.outbox.markSending(id, now),
      markSent: (id, now) => outside.outbox.markSent(id, now),
      markProposalUpdatesSent: (id, upto, now) => outside.outbox.markProposalUpdatesSent(id, upto, now),
      laterProposalUpdate: (id, after) => outside.outbox.laterProposalUpdate(id, after),
      markIncidentUpdatesSent: (id, upto, now) => outside.outbox.markIncidentUpdatesSent(id, upto, now),
      laterIncidentUpdate: (id, after) => outside.outbox.laterIncidentUpdate(id, after),
      following: (id, limit) => outside.outbox.following(id, limit),
      markFailed: (id, error, next) => outside.outbox.markFailed(id, error, next),
      pending: () => outside.outbox.pending(),
    };
    this.executions = outside.executions;
    this.deploys = outside.deploys;
    this.seen = outside.seen;
    this.measurements = outside.measurements;
  }

  async tx<T>(fn: (r: Repositories) => Promise<T>): Promise<T> {
    if (this.context.getStore()) throw new Error('nested store transaction: use the repositories the outer transaction handed you');
    const release = await this.nextTurn();
    let committed = false;
    let appended = false;
    try {
      const { client, done } = await checkout(this.pool);
      let live = true;
      let broken: unknown;
      try {
        await client.query('BEGIN');
        await lockForTransaction(client, 'write', this.lockKey);
        const repos = guarded(pgRepositories(client, this.key, () => (appended = true)), () =>
          live ? undefined : new Error('a repository of a finished transaction was used: its connection belongs to someone else now'));
        const result = await this.context.run(true, () => fn(repos));
        await client.query('COMMIT');
        committed = true;
        return result;
      } catch (err) {
        if (!committed) await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
        throw err;
      } finally {
        live = false;
        // A connection whose ROLLBACK failed is in an unknown state: the pool closes it.
        done(broken);
      }
    } finally {
      release();
      if (committed && appended) await this.anchor?.afterCommit();
    }
  }

  /** The audit chain checked with this store's key (see verifyPostgresAudit). */
  verifyAudit(opts: { anchor?: AuditHead } = {}): Promise<ChainCheck> {
    return verifyPostgresAudit(this.pool, this.key, opts);
  }

  /** The committed chain head, sealed: what the anchor file holds and `backstop audit head` prints. */
  auditHead(): Promise<AuditHead> {
    return readAuditHead(this.pool, this.key);
  }

  /** Waits for the anchor file, then closes every pooled connection. */
  async close(): Promise<void> {
    await this.anchor?.settled();
    await this.pool.end();
  }

  private async nextTurn(): Promise<() => void> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}

/**
 * Connects to `url` (see createPostgresPool), refuses a database that cannot hold Backstop's
 * text, brings the schema up to date and returns the store.
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = createPostgresPool(url, opts);
  try {
    await checkEncoding(pool);
    await migratePostgres(pool);
    const { key } = await schemaKey(pool);
    return new PostgresStore(pool, key, opts);
  } catch (e) {
    await pool.end();
    throw e;
  }
}
