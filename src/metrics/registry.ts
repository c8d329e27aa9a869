/**
 * Prometheus metrics for `GET /metrics`, computed from the SQLite store at scrape time (prom-client
 * `collect` callbacks), so no use case has to count anything and a restart loses nothing: the
 * numbers are whatever the database says, per service.
 *
 *   backstop_rollback_duration_seconds        histogram  approval (quorum) → rollback executed
 *   backstop_detection_to_action_seconds      histogram  incident opened → rollback executed
 *   backstop_rollbacks_total{result}          counter    success (executed) / failure (execution failed)
 *   backstop_false_rollbacks_total            counter    rolled back but SLIs did not improve (not_recovered)
 *   backstop_audit_events_total{action}       counter    audit rows
 *   backstop_pages_sent_total{kind}           counter    PagerDuty notes / resolutions delivered
 *   backstop_drills_total{scenario,outcome,result}  counter  game-day drills run
 *   backstop_drill_last_passed{scenario}      gauge      1 when the scenario's last drill passed
 *   backstop_drill_last_time_to_safety_seconds{scenario}  gauge
 *   backstop_analysis_lag_seconds{service}    gauge      how late the last analysis pass started
 *   backstop_analysis_skipped_total{service}  gauge      passes skipped by an overrunning pass
 *   backstop_leader{replica}                  gauge      1 on the replica that runs timed work
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { Db } from '../store/db.js';

export interface MetricsOptions {
  db: Db;
  /** Also export the Node process metrics (CPU, memory, event loop); default true. */
  processMetrics?: boolean;
  /** Per-service analysis lag, read at scrape time (the running bot's scheduler). */
  analysisLag?: () => readonly { service: string; lagMs: number; skipped: number }[];
  /**
   * Queries the shared state (proposals, incidents, audit, outbox) when it is not in `db`: with
   * several replicas it is PostgreSQL's. Drill reports are this replica's own, in `db`.
   */
  shared?: (sql: string) => Promise<unknown[]>;
  /** Whether this replica leads timed work (always, alone on SQLite). */
  leader?: () => { replica: string; leading: boolean };
}

export interface BackstopMetrics {
  registry: Registry;
  /** `GET /metrics` in the Prometheus text format; mount it with `startBackstop({ mounts: { '/metrics': listener } })`. */
  listener: RequestListener;
}

const proposalRow = z.object({ service: z.string(), state: z.string(), decided_at: z.string().nullable(), executed_at: z.string().nullable(), opened_at: z.string() });
const countRow = z.object({ service: z.string(), label: z.string(), n: z.number() });
const drillRow = z.object({ scenario: z.string(), service: z.string(), outcome: z.string(), passed: z.number(), n: z.number() });
const lastDrillRow = z.object({ scenario: z.string(), service: z.string(), passed: z.number(), time_to_safety_ms: z.number().nullable() });

const seconds = (from: string | null, to: string | null): number | null => {
  if (!from || !to) return null;
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) && d >= 0 ? d : null;
};

export function createMetrics(opts: MetricsOptions): BackstopMetrics {
  const { db } = opts;
  const shared = opts.shared ?? (async (sql: string) => db.prepare(sql).all());
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'backstop_' });

  const hasTable = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  const proposals = async () => (await shared(`SELECT p.service, p.state, p.decided_at, p.executed_at, i.opened_at
    FROM proposals p JOIN incidents i ON i.id = p.incident_id`)).map((r) => proposalRow.parse(r));

  new Histogram({
    name: 'backstop_rollback_duration_seconds',
    help: 'Time from the approval that completed the quorum to the rollback being executed.',
    labelNames: ['service'],
    buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await proposals()) {
        const s = seconds(p.decided_at, p.executed_at);
        if (s !== null) this.observe({ service: p.service }, s);
      }
    },
  });

  new Histogram({
    name: 'backstop_detection_to_action_seconds',
    help: 'Time from the incident opening (first alert) to the rollback being executed.',
    labelNames: ['service'],
    buckets: [1, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await proposals()) {
        const s = seconds(p.opened_at, p.executed_at);
        if (s !== null) this.observe({ service: p.service }, s);
      }
    },
  });

  new Counter({
    name: 'backstop_rollbacks_total',
    help: 'Rollbacks executed (result="success") or whose execution failed (result="failure").',
    labelNames: ['service', 'result'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await proposals()) {
        if (p.executed_at) this.inc({ service: p.service, result: 'success' });
        else if (p.state === 'failed') this.inc({ service: p.service, result: 'failure' });
      }
    },
  });

  new Counter({
    name: 'backstop_false_rollbacks_total',
    help: 'Rollbacks after which the SLIs did not recover (proposals ending not_recovered).',
    labelNames: ['service'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await proposals()) if (p.state === 'not_recovered') this.inc({ service: p.service });
    },
  });

  new Counter({
    name: 'backstop_audit_events_total',
    help: 'Audit trail rows by action.',
    labelNames: ['service', 'action'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await shared(`SELECT coalesce(i.service, p.service, '') AS service, a.action AS label, count(*) AS n
        FROM audit a LEFT JOIN incidents i ON i.id = a.incident_id LEFT JOIN proposals p ON p.id = a.proposal_id
        GROUP BY 1, 2`);
      for (const r of rows.map((x) => countRow.parse(x))) this.inc({ service: r.service, action: r.label }, r.n);
    },
  });

  new Counter({
    name: 'backstop_pages_sent_total',
    help: 'Messages delivered to the paging system (PagerDuty notes and resolutions).',
    labelNames: ['service', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await shared(`SELECT coalesce(i.service, '') AS service, o.kind AS label, count(*) AS n
        FROM outbox o LEFT JOIN incidents i ON i.id = o.incident_id
        WHERE o.kind IN ('pagerduty_note', 'pagerduty_resolve') AND o.sent_at IS NOT NULL GROUP BY 1, 2`);
      for (const r of rows.map((x) => countRow.parse(x))) this.inc({ service: r.service, kind: r.label === 'pagerduty_note' ? 'note' : 'resolve' }, r.n);
    },
  });

  new Counter({
    name: 'backstop_drills_total',
    help: 'Game-day drills run, by scenario, outcome and result (pass/fail).',
    labelNames: ['service', 'scenario', 'outcome', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      if (!hasTable('drill_reports')) return;
      const rows = db.prepare('SELECT scenario, service, outcome, passed, count(*) AS n FROM drill_reports GROUP BY 1, 2, 3, 4').all();
      for (const r of rows.map((x) => drillRow.parse(x))) this.inc({ service: r.service, scenario: r.scenario, outcome: r.outcome, result: r.passed ? 'pass' : 'fail' }, r.n);
    },
  });

  const lastDrills = () => hasTable('drill_reports')
    ? db.prepare(`SELECT scenario, service, passed, time_to_safety_ms FROM drill_reports d
        WHERE started_at = (SELECT max(started_at) FROM drill_reports WHERE scenario = d.scenario)`).all().map((r) => lastDrillRow.parse(r))
    : [];

  new Gauge({
    name: 'backstop_drill_last_passed',
    help: '1 when the last drill of the scenario passed, else 0.',
    labelNames: ['service', 'scenario'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of lastDrills()) this.set({ service: r.service, scenario: r.scenario }, r.passed);
    },
  });

  new Gauge({
    name: 'backstop_drill_last_time_to_safety_seconds',
    help: 'Detection to verified recovery in the last drill of the scenario (absent when it did not recover).',
    labelNames: ['service', 'scenario'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of lastDrills()) if (r.time_to_safety_ms !== null) this.set({ service: r.service, scenario: r.scenario }, r.time_to_safety_ms / 1000);
    },
  });

  const leader = opts.leader;
  if (leader) {
    new Gauge({
      name: 'backstop_leader',
      help: '1 on the replica that runs timed work (analysis, automatic rollbacks, expiry, the Slack outbox), else 0.',
      labelNames: ['replica'],
      registers: [registry],
      collect() {
        this.reset();
        const l = leader();
        this.set({ replica: l.replica }, l.leading ? 1 : 0);
      },
    });
  }
  const lag = opts.analysisLag;
  if (lag) {
    new Gauge({
      name: 'backstop_analysis_lag_seconds',
      help: 'How late the last continuous-analysis pass of the service started after it was due.',
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const l of lag()) this.set({ service: l.service }, l.lagMs / 1000);
      },
    });
    new Gauge({
      name: 'backstop_analysis_skipped_total',
      help: 'Analysis passes skipped because the pass before overran the service\'s interval (since start).',
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        for (const l of lag()) this.set({ service: l.service }, l.skipped);
      },
    });
  }

  return { registry, listener: metricsListener(registry) };
}

export function metricsListener(registry: Registry): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"error":"method_not_allowed"}');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`# metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
}
