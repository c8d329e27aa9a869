/**
 * What a replay decided, read back from what the real code wrote: the audit trail and the stored
 * measurements. Events are named for people reading a backtest: trigger, escalate, rollback,
 * refused (with the guard that refused).
 */
import type { ResolvedService } from '../config/policy.js';
import { checkAutomaticRollback, type GuardCode } from '../domain/guards.js';
import type { MeasurementVerdict } from '../domain/judge.js';
import type { Proposal } from '../domain/proposal.js';
import type { Store } from '../store/store.js';

export type BacktestEventType = 'trigger' | 'escalate' | 'rollback' | 'refused';

export interface BacktestEvent {
  at: string;
  type: BacktestEventType;
  reason: string;
  /** The proposal it belongs to (trigger, rollback, refused). */
  proposal?: string;
  /** trigger: whether it would roll back on its own after the grace period. */
  automatic?: boolean;
  /** trigger and rollback: the versions. */
  from?: string | null;
  to?: string;
  /** refused: which guard (guards.ts codes); `no_target` / `target_error` when nothing could be proposed. */
  guard?: GuardCode | 'no_target' | 'target_error';
}

export interface BacktestMeasurement {
  at: string;
  sli: string;
  value: number | null;
  baseline: number | null;
  verdict: MeasurementVerdict;
  reason: string;
}

/** One audit row, as the timeline shows it. */
export interface Decision {
  at: string;
  action: string;
  actor: string;
  proposal: string | null;
  text: string;
}

interface AuditRow {
  at: string;
  action: string;
  actor: string;
  proposal_id: string | null;
  details: string;
}

/** Slack mrkdwn to plain text for a terminal. */
export function plain(text: string): string {
  return text.replace(/<@([A-Z0-9]+)>/g, '@$1').replace(/<!subteam\^([A-Z0-9]+)>/g, '@group:$1').replace(/<!here>/g, '@here').replace(/[*`]/g, '');
}

export function readOutcome(store: Store, svc: ResolvedService): { events: BacktestEvent[]; measurements: BacktestMeasurement[]; decisions: Decision[] } {
  const rows = store.db.prepare('SELECT at, action, actor, proposal_id, details FROM audit ORDER BY seq').all() as AuditRow[];
  const proposals = new Map(store.proposals.recent(svc.name, 1_000_000).map((p) => [p.id, p]));
  const decisions: Decision[] = [];
  const events: BacktestEvent[] = [];
  for (const r of rows) {
    const details = JSON.parse(r.details) as Record<string, unknown>;
    const text = typeof details.text === 'string' ? plain(details.text) : describeBare(r.action, details);
    decisions.push({ at: r.at, action: r.action, actor: r.actor, proposal: r.proposal_id, text });
    const p = r.proposal_id ? proposals.get(r.proposal_id) : undefined;
    const event = toEvent(r, details, text, p, [...proposals.values()], svc);
    if (event) events.push(event);
  }
  const measurements = (store.db.prepare('SELECT at, sli, value, baseline, verdict, reason FROM measurements WHERE service = ? ORDER BY seq').all(svc.name) as BacktestMeasurement[]);
  return { events, measurements, decisions };
}

/** The step's fact where the audit row stores one (newer rows), else the older flat details. */
function fact(details: Record<string, unknown>): Record<string, unknown> {
  return typeof details.fact === 'object' && details.fact !== null ? { ...details, ...(details.fact as Record<string, unknown>) } : details;
}

function toEvent(r: AuditRow, details: Record<string, unknown>, text: string, p: Proposal | undefined, all: Proposal[], svc: ResolvedService): BacktestEvent | undefined {
  const f = fact(details);
  switch (r.action) {
    case 'proposal.created':
      if (r.actor !== 'policy' || !p) return undefined;
      return { at: r.at, type: 'trigger', reason: p.reason, proposal: p.id, automatic: Boolean(p.automatic), from: p.fromVersion, to: p.toVersion };
    case 'analysis.blind': {
      const slis = Array.isArray(f.slis) ? (f.slis as { sli: string; reason: string }[]) : [];
      return { at: r.at, type: 'escalate', reason: slis.map((s) => `${s.sli}: ${s.reason}`).join('; ') || text };
    }
    case 'execution.succeeded':
      if (!p) return undefined;
      return { at: r.at, type: 'rollback', reason: `${p.automatic ? 'automatic rollback' : 'rollback'} ${p.fromVersion ?? 'unknown'} → ${p.toVersion}: ${p.reason}`, proposal: p.id, from: p.fromVersion, to: p.toVersion };
    case 'automatic.refused': {
      const refusal = typeof f.refusal === 'string' ? f.refusal : (/not allowed now \((.*)\); waiting/s.exec(text)?.[1] ?? text);
      return { at: r.at, type: 'refused', reason: refusal, ...(p ? { proposal: p.id, guard: refusedBy(p, all, svc) } : {}) };
    }
    case 'proposal.not_possible': {
      if (r.actor !== 'backstop') return undefined;
      const message = typeof f.message === 'string' ? f.message : text.replace(/^⚠️\s*/, '');
      return { at: r.at, type: 'refused', reason: message, guard: f.problem === 'target_error' ? 'target_error' : 'no_target' };
    }
    default:
      return undefined;
  }
}

/**
 * The refusal's text is what people read; the code is for scripts. It is the same guard check
 * decide-outcome.ts ran, on the same facts: the rollbacks executed before the proposal was made.
 */
function refusedBy(p: Proposal, all: Proposal[], svc: ResolvedService): GuardCode | undefined {
  const d = svc.decision!;
  const created = Date.parse(p.createdAt);
  const history = all.filter((x) => x.executedAt && Date.parse(x.executedAt) <= created).map((x) => ({ at: x.executedAt!, from: x.fromVersion, to: x.toVersion, automatic: Boolean(x.automatic) }));
  const g = checkAutomaticRollback(
    { cooldownMs: d.cooldown, maxAutomaticPerDay: d.maxAutomaticPerDay, pingPongWindowMs: d.pingPongWindow, freeze: d.freeze },
    { now: new Date(created), target: p.toVersion, history, openProposalId: null },
  );
  return g.ok ? undefined : g.code;
}

/** Audit rows written without a chat text. */
function describeBare(action: string, details: Record<string, unknown>): string {
  if (action === 'trigger.absorbed') return `still degraded; joins the open proposal (${String(details.reason ?? '')})`;
  return action;
}
