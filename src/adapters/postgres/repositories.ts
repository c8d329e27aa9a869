import type { Repositories } from '../../ports/store.js';
import type { AuditKey } from '../../store/audit-key.js';
import { PgAlerts } from './alerts.js';
import { PgAuditTrail } from './audit-trail.js';
import { PgDeploys } from './deploys.js';
import { PgExecutions } from './executions.js';
import { PgIncidents } from './incidents.js';
import { PgMeasurements } from './measurements.js';
import { PgOutbox } from './outbox.js';
import { PgProposals } from './proposals.js';
import { PgSeenRequests } from './seen-requests.js';
import type { Sql } from './sql.js';

/** Every repository over one connection (a transaction's client) or the pool. */
export function pgRepositories(sql: Sql, key: AuditKey, onAuditAppend?: () => void): Repositories {
  return {
    incidents: new PgIncidents(sql),
    alerts: new PgAlerts(sql),
    proposals: new PgProposals(sql),
    audit: new PgAuditTrail(sql, key, onAuditAppend),
    outbox: new PgOutbox(sql),
    executions: new PgExecutions(sql),
    deploys: new PgDeploys(sql),
    seen: new PgSeenRequests(sql),
    measurements: new PgMeasurements(sql),
  };
}

/**
 * The same repositories, each call first asking `refusal` whether it may run: a rejected
 * promise, never a statement on the wrong connection, when it may not.
 */
export function guarded(r: Repositories, refusal: () => Error | undefined): Repositories {
  const wrap = <T extends object>(repo: T): T =>
    new Proxy(repo, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]): unknown => {
          const refused = refusal();
          return refused ? Promise.reject(refused) : (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return {
    incidents: wrap(r.incidents), alerts: wrap(r.alerts), proposals: wrap(r.proposals), audit: wrap(r.audit), outbox: wrap(r.outbox),
    executions: wrap(r.executions), deploys: wrap(r.deploys), seen: wrap(r.seen), measurements: wrap(r.measurements),
  };
}
