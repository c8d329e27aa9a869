import { z } from 'zod';
import type { Proposal, ProposalState } from '../domain/proposal.js';
import type { SliReading } from '../domain/sli.js';
import { prep, type Db } from './db.js';

const sliReading = z.object({
  name: z.string(),
  baseline: z.number().nullable(),
  current: z.number().nullable(),
  comparator: z.enum(['lt', 'lte', 'gt', 'gte']),
  threshold: z.number(),
  unit: z.string().optional(),
  verdict: z.enum(['ok', 'breach', 'no_data', 'error', 'inconclusive']),
  /** Rows written before verdicts had four words kept the inconclusive kind here. */
  inconclusive: z.enum(['no_data', 'error']).optional(),
  reason: z.string(),
  sparkline: z.string().optional(),
}).transform(({ inconclusive, ...r }) => ({ ...r, verdict: r.verdict === 'inconclusive' ? (inconclusive ?? 'no_data') : r.verdict }));
const readings = z.array(sliReading);
const approvals = z.array(z.object({ user: z.string(), at: z.string() }));

const row = z.object({
  id: z.string(), incident_id: z.string(), service: z.string(),
  state: z.enum(['pending', 'approved', 'executing', 'executed', 'verified', 'unconfirmed', 'not_recovered', 'failed', 'superseded', 'rejected', 'expired', 'cancelled']),
  rev: z.number(), from_version: z.string().nullable(), to_version: z.string(), requested_by: z.string(), reason: z.string(),
  required_approvals: z.number(), approvals: z.string(), created_at: z.string(), expires_at: z.string(),
  decided_at: z.string().nullable(), decided_by: z.string().nullable(), decision_reason: z.string().nullable(),
  executed_at: z.string().nullable(), verified_at: z.string().nullable(), sli_before: z.string(), sli_after: z.string().nullable(),
  execution_detail: z.string().nullable(), channel_id: z.string(), message_ts: z.string().nullable(),
  automatic: z.number(), auto_execute_at: z.string().nullable(), break_glass: z.string().nullable(), preflight: z.string().nullable(),
  baseline_at: z.string().nullable(), plan: z.string().nullable(), read_back: z.string().nullable(),
});
const plan = z.object({ steps: z.array(z.string()), basis: z.string().optional() });
const readBack = z.object({ status: z.enum(['confirmed', 'mismatch', 'unsupported', 'unreachable']), version: z.string().nullable(), detail: z.string() });
const json = <T>(schema: z.ZodType<T>, text: string | null): T | null => (text === null ? null : schema.parse(JSON.parse(text)));
const preflight = z.object({ ok: z.boolean(), checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })) });

/** Also reads PostgreSQL rows: src/adapters/postgres keeps these columns. */
export function toProposal(r: unknown): Proposal {
  const x = row.parse(r);
  return {
    id: x.id, incidentId: x.incident_id, service: x.service, state: x.state, rev: x.rev,
    fromVersion: x.from_version, toVersion: x.to_version, requestedBy: x.requested_by, reason: x.reason,
    requiredApprovals: x.required_approvals, approvals: approvals.parse(JSON.parse(x.approvals)),
    createdAt: x.created_at, expiresAt: x.expires_at, decidedAt: x.decided_at, decidedBy: x.decided_by,
    decisionReason: x.decision_reason, executedAt: x.executed_at, verifiedAt: x.verified_at,
    sliBefore: readings.parse(JSON.parse(x.sli_before)) as SliReading[],
    sliAfter: x.sli_after === null ? null : (readings.parse(JSON.parse(x.sli_after)) as SliReading[]),
    executionDetail: x.execution_detail, channelId: x.channel_id, messageTs: x.message_ts,
    automatic: x.automatic === 1, autoExecuteAt: x.auto_execute_at, breakGlass: x.break_glass,
    preflight: json(preflight, x.preflight),
    baselineAt: x.baseline_at, plan: json(plan, x.plan), readBack: json(readBack, x.read_back),
  };
}

export function params(p: Proposal) {
  return {
    id: p.id, incidentId: p.incidentId, service: p.service, state: p.state, rev: p.rev, fromVersion: p.fromVersion,
    toVersion: p.toVersion, requestedBy: p.requestedBy, reason: p.reason, requiredApprovals: p.requiredApprovals,
    approvals: JSON.stringify(p.approvals), createdAt: p.createdAt, expiresAt: p.expiresAt, decidedAt: p.decidedAt,
    decidedBy: p.decidedBy, decisionReason: p.decisionReason, executedAt: p.executedAt, verifiedAt: p.verifiedAt,
    sliBefore: JSON.stringify(p.sliBefore), sliAfter: p.sliAfter === null ? null : JSON.stringify(p.sliAfter),
    executionDetail: p.executionDetail, channelId: p.channelId, messageTs: p.messageTs,
    automatic: p.automatic ? 1 : 0, autoExecuteAt: p.autoExecuteAt ?? null, breakGlass: p.breakGlass ?? null,
    preflight: p.preflight ? JSON.stringify(p.preflight) : null,
    baselineAt: p.baselineAt ?? null, plan: p.plan ? JSON.stringify(p.plan) : null, readBack: p.readBack ? JSON.stringify(p.readBack) : null,
  };
}

export class ProposalRepo {
  constructor(private readonly db: Db) {}

  get(id: string): Proposal | undefined {
    const r = prep(this.db, 'SELECT * FROM proposals WHERE id = ?').get(id);
    return r ? toProposal(r) : undefined;
  }

  /** Whether a service has a live proposal, without reading it (the intake hot path). */
  hasLive(service: string): boolean {
    return prep(this.db, "SELECT 1 FROM proposals WHERE service = ? AND state IN ('pending', 'approved', 'executing', 'executed')").get(service) !== undefined;
  }

  /** The live proposal of a service (pending through executed), if any. */
  liveFor(service: string): Proposal | undefined {
    const r = prep(this.db, "SELECT * FROM proposals WHERE service = ? AND state IN ('pending', 'approved', 'executing', 'executed')").get(service);
    return r ? toProposal(r) : undefined;
  }

  forIncident(incidentId: string): Proposal[] {
    return prep(this.db, 'SELECT * FROM proposals WHERE incident_id = ? ORDER BY created_at').all(incidentId).map(toProposal);
  }

  inState(state: ProposalState): Proposal[] {
    return prep(this.db, 'SELECT * FROM proposals WHERE state = ? ORDER BY created_at').all(state).map(toProposal);
  }

  recent(service: string, limit: number): Proposal[] {
    return prep(this.db, 'SELECT * FROM proposals WHERE service = ? ORDER BY created_at DESC LIMIT ?').all(service, limit).map(toProposal);
  }

  insert(p: Proposal): void {
    prep(this.db, `INSERT INTO proposals (id, incident_id, service, state, rev, from_version, to_version, requested_by, reason, required_approvals, approvals,
        created_at, expires_at, decided_at, decided_by, decision_reason, executed_at, verified_at, sli_before, sli_after, execution_detail, channel_id, message_ts,
        automatic, auto_execute_at, break_glass, preflight, baseline_at, plan, read_back)
      VALUES (@id, @incidentId, @service, @state, @rev, @fromVersion, @toVersion, @requestedBy, @reason, @requiredApprovals, @approvals,
        @createdAt, @expiresAt, @decidedAt, @decidedBy, @decisionReason, @executedAt, @verifiedAt, @sliBefore, @sliAfter, @executionDetail, @channelId, @messageTs,
        @automatic, @autoExecuteAt, @breakGlass, @preflight, @baselineAt, @plan, @readBack)`).run(params(p));
  }

  /**
   * Compare-and-swap: writes `next` only if the row still has `expectedRev`.
   * Returns false when another writer got there first; the caller tells its user so.
   */
  save(next: Proposal, expectedRev: number): boolean {
    const res = prep(this.db, `UPDATE proposals SET state = @state, rev = @rev, approvals = @approvals, decided_at = @decidedAt, decided_by = @decidedBy,
        decision_reason = @decisionReason, executed_at = @executedAt, verified_at = @verifiedAt, sli_after = @sliAfter, execution_detail = @executionDetail,
        break_glass = @breakGlass, read_back = @readBack
      WHERE id = @id AND rev = @expectedRev`).run({ ...params(next), expectedRev });
    return res.changes === 1;
  }

  setMessageTs(id: string, ts: string): void {
    prep(this.db, 'UPDATE proposals SET message_ts = ? WHERE id = ?').run(ts, id);
  }

  dueToExpire(now: string): Proposal[] {
    return prep(this.db, "SELECT * FROM proposals WHERE state = 'pending' AND expires_at <= ?").all(now).map(toProposal);
  }

  dueToAutoExecute(now: string): Proposal[] {
    return prep(this.db, "SELECT * FROM proposals WHERE state = 'pending' AND automatic = 1 AND auto_execute_at <= ?").all(now).map(toProposal);
  }

  /** Rollbacks that ran (for guards): newest first. */
  executedFor(service: string, limit = 50): Proposal[] {
    return prep(this.db, 'SELECT * FROM proposals WHERE service = ? AND executed_at IS NOT NULL ORDER BY executed_at DESC LIMIT ?').all(service, limit).map(toProposal);
  }
}
