/** /metrics after real drills: the counters are computed from what the bot stored. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_SCENARIO_DIR } from '../../src/drills/catalog.js';
import { runDrill } from '../../src/drills/run-drill.js';
import { loadScenarioFile, parseScenario } from '../../src/drills/scenario.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { openDb, type Db } from '../../src/store/db.js';

// A rollback that does not help: the SLI has no recovery, so verification says not recovered.
const FALSE_ROLLBACK = `
name: false-rollback
title: Rollback that does not help
service: ranker
versions: { good: r1, bad: r2 }
alert: { name: NdcgDrop, summary: ranker ndcg low }
slis: [{ name: ndcg, comparator: lt, threshold: 0.6, baseline: 0.7, breach: { value: 0.5 } }]
approvers: [{ id: U0ALICE, name: alice, simulated: { after: 1s } }]
settle: 1s
expect: { outcome: not_recovered }
`;

let dir: string;
let db: Db;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backstop-metrics-'));
  db = openDb(join(dir, 'drill.db'));
  const accuracy = loadScenarioFile(join(SHIPPED_SCENARIO_DIR, 'adapter-failure-retry.yaml'));
  const falseRollback = parseScenario(FALSE_ROLLBACK);
  if (!accuracy.ok || !falseRollback.ok) throw new Error('scenario invalid');
  await runDrill({ scenario: accuracy.scenario, timeScale: 0.01, timeoutMs: 10_000, workDir: dir, db });
  const second = await runDrill({ scenario: falseRollback.scenario, timeScale: 0.01, timeoutMs: 10_000, workDir: dir, db });
  expect(second.report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(second.report).toMatchObject({ outcome: 'not_recovered', passed: true });
  // A PagerDuty note delivered for the first incident (no pager in drills, so written as the drainer would).
  const incident = db.prepare("SELECT id FROM incidents WHERE service = 'drill-fraud-scorer'").pluck().get() as string;
  db.prepare("INSERT INTO outbox (kind, incident_id, payload, created_at, next_attempt_at, sent_at) VALUES ('pagerduty_note', ?, '{\"text\":\"note\"}', 'now', 'now', 'now')").run(incident);

  const { listener } = createMetrics({ db, processMetrics: false });
  server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  it('serves the Prometheus text format', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/metrics/extra`)).status).toBe(404);
  });

  it('exposes rollback, false-rollback, timing, audit, page and drill counters per service after drills', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    expect(value('backstop_rollbacks_total{service="drill-fraud-scorer",result="success"}')).toBe(1);
    expect(value('backstop_rollbacks_total{service="drill-ranker",result="success"}')).toBe(1);
    expect(value('backstop_false_rollbacks_total{service="drill-ranker"}')).toBe(1);
    expect(value('backstop_false_rollbacks_total{service="drill-fraud-scorer"}')).toBeUndefined();
    expect(value('backstop_rollback_duration_seconds_count{service="drill-fraud-scorer"}')).toBe(1);
    expect(value('backstop_detection_to_action_seconds_count{service="drill-ranker"}')).toBe(1);
    expect(value('backstop_audit_events_total{service="drill-fraud-scorer",action="execution.succeeded"}')).toBe(1);
    expect(value('backstop_audit_events_total{service="drill-ranker",action="verification.not_recovered"}')).toBe(1);
    expect(value('backstop_pages_sent_total{service="drill-fraud-scorer",kind="note"}')).toBe(1);
    expect(value('backstop_drills_total{service="fraud-scorer",scenario="adapter-failure-retry",outcome="verified",result="pass"}')).toBe(1);
    expect(value('backstop_drills_total{service="ranker",scenario="false-rollback",outcome="not_recovered",result="pass"}')).toBe(1);
    expect(value('backstop_drill_last_passed{service="fraud-scorer",scenario="adapter-failure-retry"}')).toBe(1);
    expect(value('backstop_drill_last_time_to_safety_seconds{service="fraud-scorer",scenario="adapter-failure-retry"}')).toBeGreaterThan(0);
  });

  it('reads the store at every scrape, so new rows show without a restart', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    const series = 'backstop_audit_events_total{service="",action="drill.test"}';
    expect(before).not.toContain(series);
    db.prepare("INSERT INTO audit (at, incident_id, proposal_id, actor, action, details, prev_hash, hash) VALUES ('now', NULL, NULL, 'test', 'drill.test', '{}', 'x', 'y')").run();
    expect(await (await fetch(`${url}/metrics`)).text()).toContain(`${series} 1`);
  });
});
