/** Drill reports in SQLite (`drill_reports`, migration 005), parsed at read. */
import { z } from 'zod';
import type { Db } from '../store/db.js';
import { DRILL_OUTCOMES } from './scenario.js';
import type { DrillReport } from './report.js';

const ms = z.number().nullable();
const reportSchema = z.object({
  id: z.string(), scenario: z.string(), title: z.string(), service: z.string(), drillService: z.string(),
  startedAt: z.string(), finishedAt: z.string(), outcome: z.enum(DRILL_OUTCOMES), expected: z.enum(DRILL_OUTCOMES), passed: z.boolean(),
  proposalId: z.string().nullable(), incidentId: z.string().nullable(), proposalState: z.string().nullable(),
  sliBefore: z.enum(['ok', 'breach', 'inconclusive']).nullable(), sliAfter: z.enum(['ok', 'breach', 'inconclusive']).nullable(),
  timings: z.object({ detectionToProposalMs: ms, proposalToPostedMs: ms, proposalToApprovalMs: ms, approvalToExecutedMs: ms, executedToVerifiedMs: ms, timeToSafetyMs: ms }),
  attempts: z.number().nullable(), retries: z.number().nullable(),
  faults: z.array(z.object({ kind: z.enum(['adapter-fail', 'adapter-timeout', 'sli-down', 'slack-429', 'approver-slow']), detail: z.string(), observed: z.number() })),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  auditRows: z.number(), postmortemPath: z.string().nullable(),
});
const row = z.object({ report: z.string() });

export class DrillReportRepo {
  constructor(private readonly db: Db) {}

  save(r: DrillReport): void {
    this.db.prepare(`INSERT INTO drill_reports (id, scenario, service, started_at, finished_at, outcome, expected, passed, time_to_safety_ms, report)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(r.id, r.scenario, r.service, r.startedAt, r.finishedAt, r.outcome, r.expected, r.passed ? 1 : 0, r.timings.timeToSafetyMs, JSON.stringify(r));
  }

  get(id: string): DrillReport | undefined {
    const r = this.db.prepare('SELECT report FROM drill_reports WHERE id = ?').get(id);
    return r ? reportSchema.parse(JSON.parse(row.parse(r).report)) : undefined;
  }

  /** Newest first. */
  recent(limit: number, scenario?: string): DrillReport[] {
    const rows = scenario
      ? this.db.prepare('SELECT report FROM drill_reports WHERE scenario = ? ORDER BY started_at DESC LIMIT ?').all(scenario, limit)
      : this.db.prepare('SELECT report FROM drill_reports ORDER BY started_at DESC LIMIT ?').all(limit);
    return rows.map((r) => reportSchema.parse(JSON.parse(row.parse(r).report)));
  }
}
