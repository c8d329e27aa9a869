import { AsyncLocalStorage } from 'node:async_hooks';
import type { Repositories, StorePort } from '../ports/store.js';
import type { Store } from './store.js';

type Run = <T>(work: () => T) => Promise<T>;

/**
 * The store port over better-sqlite3. SQLite is synchronous and has one writer, so a transaction
 * holds a process-wide lock from BEGIN IMMEDIATE to COMMIT; calls outside a transaction wait for
 * it, so nobody reads or writes half of someone else's change. Code inside a transaction must use
 * the repositories it was handed: reaching for the store instead is a bug (it would deadlock, or on
 * PostgreSQL run outside the transaction), so it throws.
 */
export class SqliteStore implements StorePort {
  readonly incidents: Repositories['incidents'];
  readonly alerts: Repositories['alerts'];
  readonly proposals: Repositories['proposals'];
  readonly audit: Repositories['audit'];
  readonly outbox: Repositories['outbox'];
  readonly executions: Repositories['executions'];
  readonly deploys: Repositories['deploys'];
  readonly seen: Repositories['seen'];
  readonly measurements: Repositories['measurements'];
  private readonly inTx: Repositories;
  private queue: Promise<void> = Promise.resolve();
  private held = false;
  private readonly context = new AsyncLocalStorage<true>();

  constructor(readonly sqlite: Store) {
    this.inTx = repositories(sqlite, now);
    const outside = repositories(sqlite, (work) => this.outside(work));
    this.incidents = outside.incidents;
    this.alerts = outside.alerts;
    this.proposals = outside.proposals;
    this.audit = outside.audit;
    this.outbox = outside.outbox;
    this.executions = outside.executions;
    this.deploys = outside.deploys;
    this.seen = outside.seen;
    this.measurements = outside.measurements;
  }

  async tx<T>(fn: (r: Repositories) => Promise<T>): Promise<T> {
    if (this.context.getStore()) throw new Error('nested store transaction: use the repositories the outer transaction handed you');
    const release = await this.acquire();
    const db = this.sqlite.db;
    let committed = false;
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.context.run(true, () => fn(this.inTx));
        db.exec('COMMIT');
        committed = true;
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.sqlite.audit.afterTransaction(committed);
      release();
    }
  }

  private outside<T>(work: () => T): Promise<T> {
    if (this.context.getStore()) return Promise.reject(new Error('the store was used inside a transaction: use the repositories tx() handed you'));
    // Fast path: nothing holds the lock, so run now, in call order.
    if (!this.held) return now(work);
    return this.acquire().then((release) => {
      try {
        return work();
      } finally {
        release();
      }
    });
  }

  private acquire(): Promise<() => void> {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => {
      release = () => {
        this.held = false;
        resolve();
      };
    });
    return previous.then(() => {
      this.held = true;
      return release;
    });
  }
}

function now<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The synchronous repositories behind promises, each call run through `run`. */
function repositories(s: Store, run: Run): Repositories {
  return {
    incidents: {
      get: (id) => run(() => s.incidents.get(id)),
      openFor: (service) => run(() => s.incidents.openFor(service)),
      byChannel: (c) => run(() => s.incidents.byChannel(c)),
      listOpen: () => run(() => s.incidents.listOpen()),
      insert: (i) => run(() => s.incidents.insert(i)),
      setChannel: (id, c) => run(() => s.incidents.setChannel(id, c)),
      resolve: (id, at, by) => run(() => s.incidents.resolve(id, at, by)),
      linkPagerDuty: (id, pd) => run(() => s.incidents.linkPagerDuty(id, pd)),
      byPagerDuty: (pd) => run(() => s.incidents.byPagerDuty(pd)),
      pagerDutyIncident: (id) => run(() => s.incidents.pagerDutyIncident(id)),
      setPostmortemPath: (id, path) => run(() => s.incidents.setPostmortemPath(id, path)),
      setHeaderTs: (id, ts) => run(() => s.incidents.setHeaderTs(id, ts)),
      claimStatusUpdate: (id, previous, at) => run(() => s.incidents.claimStatusUpdate(id, previous, at)),
    },
    alerts: {
      upsert: (a, service, incidentId, at) => run(() => s.alerts.upsert(a, service, incidentId, at)),
      incidentOf: (f, startsAt) => run(() => s.alerts.incidentOf(f, startsAt)),
      firingCount: (id) => run(() => s.alerts.firingCount(id)),
      names: (id) => run(() => s.alerts.names(id)),
      forIncident: (id, limit) => run(() => s.alerts.forIncident(id, limit)),
      tally: (id) => run(() => s.alerts.tally(id)),
    },
    proposals: {
      get: (id) => run(() => s.proposals.get(id)),
      hasLive: (service) => run(() => s.proposals.hasLive(service)),
      liveFor: (service) => run(() => s.proposals.liveFor(service)),
      forIncident: (id) => run(() => s.proposals.forIncident(id)),
      inState: (state) => run(() => s.proposals.inState(state)),
      recent: (service, limit) => run(() => s.proposals.recent(service, limit)),
      insert: (p) => run(() => s.proposals.insert(p)),
      save: (p, rev) => run(() => s.proposals.save(p, rev)),
      setMessageTs: (id, ts) => run(() => s.proposals.setMessageTs(id, ts)),
      dueToExpire: (at) => run(() => s.proposals.dueToExpire(at)),
      dueToAutoExecute: (at) => run(() => s.proposals.dueToAutoExecute(at)),
      executedFor: (service, limit) => run(() => s.proposals.executedFor(service, limit)),
    },
    audit: {
      append: (input) => run(() => s.audit.append(input)),
      forIncident: (id) => run(() => s.audit.forIncident(id)),
      forProposal: (id) => run(() => s.audit.forProposal(id)),
    },
    outbox: {
      enqueue: (kind, target, body, at, priority) => run(() => s.outbox.enqueue(kind, target, body, at, priority)),
      heads: () => run(() => s.outbox.heads()),
      markSending: (id, at) => run(() => s.outbox.markSending(id, at)),
      markSent: (id, at) => run(() => s.outbox.markSent(id, at)),
      markProposalUpdatesSent: (id, upto, at) => run(() => s.outbox.markProposalUpdatesSent(id, upto, at)),
      laterProposalUpdate: (id, after) => run(() => s.outbox.laterProposalUpdate(id, after)),
      markIncidentUpdatesSent: (id, upto, at) => run(() => s.outbox.markIncidentUpdatesSent(id, upto, at)),
      laterIncidentUpdate: (id, after) => run(() => s.outbox.laterIncidentUpdate(id, after)),
      following: (id, limit) => run(() => s.outbox.following(id, limit)),
      markFailed: (id, error, next) => run(() => s.outbox.markFailed(id, error, next)),
      pending: () => run(() => s.outbox.pending()),
    },
    executions: {
      start: (id, at) => run(() => s.executions.start(id, at)),
      attempt: (id, at) => run(() => s.executions.attempt(id, at)),
      failedAttempt: (id, error) => run(() => s.executions.failedAttempt(id, error)),
      finish: (id, at, outcome, error) => run(() => s.executions.finish(id, at, outcome, error)),
      get: (id) => run(() => s.executions.get(id)),
    },
    deploys: {
      record: (d, at) => run(() => s.deploys.record(d, at)),
      recent: (service, limit) => run(() => s.deploys.recent(service, limit)),
    },
    seen: {
      remember: (sig, at) => run(() => s.seen.remember(sig, at)),
      forgetBefore: (at) => run(() => s.seen.forgetBefore(at)),
    },
    measurements: {
      add: (m) => run(() => s.measurements.add(m)),
      since: (service, sli, since, limit) => run(() => s.measurements.since(service, sli, since, limit)),
    },
  };
}
