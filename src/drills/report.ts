/**
 * A drill's report, computed purely from what the bot recorded (its audit trail and proposal)
 * plus the faults the drill counted: plain facts in, outcome, timings and pass/fail out.
 */
import type { AuditEntry } from '../domain/audit.js';
import type { Proposal } from '../domain/proposal.js';
import { overallVerdict, type SliVerdict } from '../domain/sli.js';
import type { DrillOutcome, Scenario, ScenarioFault } from './scenario.js';

export interface DrillTimings {
  detectionToProposalMs: number | null;
  /** Proposal created → proposal visible in Slack (Slack faults show here). */
  proposalToPostedMs: number | null;
  proposalToApprovalMs: number | null;
  approvalToExecutedMs: number | null;
  executedToVerifiedMs: number | null;
  /** Detection → verified recovery; null when the service never verifiably recovered. */
  timeToSafetyMs: number | null;
}

export interface FaultObservation {
  kind: ScenarioFault['kind'];
  detail: string;
  /** How often the bot met it (failed attempts, 429 answers, SLI errors, delayed clicks). */
  observed: number;
}

export interface DrillCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DrillReport {
  id: string;
  scenario: string;
  title: string;
  /** The real service rehearsed. */
  service: string;
  /** The name the drill ran under. */
  drillService: string;
  startedAt: string;
  finishedAt: string;
  outcome: DrillOutcome;
  expected: DrillOutcome;
  passed: boolean;
  proposalId: string | null;
  incidentId: string | null;
  proposalState: string | null;
  sliBefore: SliVerdict | null;
  sliAfter: SliVerdict | null;
  timings: DrillTimings;
  attempts: number | null;
  retries: number | null;
  faults: FaultObservation[];
  checks: DrillCheck[];
  auditRows: number;
  postmortemPath: string | null;
}

export interface DrillFacts {
  id: string;
  scenario: Scenario;
  drillService: string;
  startedAt: Date;
  finishedAt: Date;
  audit: readonly AuditEntry[];
  proposal: Proposal | undefined;
  /** When the proposal first appeared in the channel, as Slack stamped it. */
  proposalPostedAt: Date | null;
  faults: FaultObservation[];
  auditChainOk: boolean;
  postmortemPath: string | null;
  timedOut: boolean;
  timeoutMs: number;
}

const at = (audit: readonly AuditEntry[], ...actions: string[]): number | null => {
  const e = audit.find((x) => actions.includes(x.action));
  return e ? Date.parse(e.at) : null;
};
const between = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.max(0, b - a));

export function drillTimings(audit: readonly AuditEntry[], proposalPostedAt: Date | null): DrillTimings {
  const detected = at(audit, 'alert.firing');
  const proposed = at(audit, 'proposal.created');
  const approved = at(audit, 'proposal.approved');
  const executed = at(audit, 'execution.succeeded');
  const verified = at(audit, 'verification.recovered', 'verification.not_recovered');
  const recovered = at(audit, 'verification.recovered');
  return {
    detectionToProposalMs: between(detected, proposed),
    proposalToPostedMs: between(proposed, proposalPostedAt ? proposalPostedAt.getTime() : null),
    proposalToApprovalMs: between(proposed, approved),
    approvalToExecutedMs: between(approved, executed),
    executedToVerifiedMs: between(executed, verified),
    timeToSafetyMs: between(detected, recovered),
  };
}

/** What the drill ended as. Rejecting or letting expire a proposal whose SLIs were inconclusive is the inconclusive ending. */
export function drillOutcome(audit: readonly AuditEntry[], proposal: Proposal | undefined): DrillOutcome {
  if (!proposal) return audit.some((e) => e.action === 'proposal.not_possible') ? 'no_proposal' : 'timed_out';
  const inconclusive = overallVerdict(proposal.sliBefore) === 'inconclusive';
  switch (proposal.state) {
    case 'verified':
      return 'verified';
    case 'not_recovered':
      return 'not_recovered';
    case 'failed':
      return 'failed';
    case 'rejected':
      return inconclusive ? 'inconclusive' : 'rejected';
    case 'expired':
    case 'cancelled':
      return inconclusive ? 'inconclusive' : 'expired';
    default:
      // Still live when the drill gave up.
      return 'timed_out';
  }
}

function attemptsOf(audit: readonly AuditEntry[]): number | null {
  const done = [...audit].reverse().find((e) => e.action === 'execution.succeeded' || e.action === 'execution.failed');
  const n = done?.details.attempts;
  return typeof n === 'number' ? n : null;
}

const TARGETS: { key: keyof Scenario['expect']['targets']; timing: keyof DrillTimings; label: string }[] = [
  { key: 'detectionToProposal', timing: 'detectionToProposalMs', label: 'detection → proposal' },
  { key: 'proposalToApproval', timing: 'proposalToApprovalMs', label: 'proposal → approval' },
  { key: 'approvalToExecuted', timing: 'approvalToExecutedMs', label: 'approval → executed' },
  { key: 'executedToVerified', timing: 'executedToVerifiedMs', label: 'executed → verified' },
  { key: 'timeToSafety', timing: 'timeToSafetyMs', label: 'time to safety' },
];

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${s % 60}s`;
}

export function buildReport(f: DrillFacts): DrillReport {
  const { scenario: s, audit, proposal } = f;
  const outcome = drillOutcome(audit, proposal);
  const timings = drillTimings(audit, f.proposalPostedAt);
  const attempts = attemptsOf(audit);
  const retries = attempts === null ? null : attempts - 1;
  const executed = audit.some((e) => e.action === 'execution.started');

  const checks: DrillCheck[] = [
    { name: 'outcome', ok: outcome === s.expect.outcome, detail: `${outcome} (expected ${s.expect.outcome})` },
  ];
  if (s.expect.outcome === 'inconclusive' || s.expect.outcome === 'rejected' || s.expect.outcome === 'expired') {
    checks.push({ name: 'no rollback', ok: !executed, detail: executed ? 'the adapter was called' : 'the adapter was never called' });
  }
  if (s.expect.retries !== undefined) {
    checks.push({ name: 'retries', ok: retries === s.expect.retries, detail: `${retries ?? 'none'} (expected ${s.expect.retries})` });
  }
  for (const t of TARGETS) {
    const target = s.expect.targets[t.key];
    if (target === undefined) continue;
    const actual = timings[t.timing];
    checks.push({ name: t.label, ok: actual !== null && actual <= target, detail: `${formatMs(actual)} (target ≤ ${formatMs(target)})` });
  }
  for (const fault of f.faults) {
    checks.push({ name: `fault ${fault.kind} exercised`, ok: fault.observed > 0, detail: `${fault.detail}: met ${fault.observed} time(s)` });
  }
  if (f.timedOut) checks.push({ name: 'finished in time', ok: false, detail: `still ${proposal?.state ?? 'without a proposal'} after ${formatMs(f.timeoutMs)}` });
  checks.push({ name: 'audit chain intact', ok: f.auditChainOk, detail: f.auditChainOk ? `${audit.length} row(s) for this drill` : 'hash chain broken' });

  return {
    id: f.id,
    scenario: s.name,
    title: s.title,
    service: s.service,
    drillService: f.drillService,
    startedAt: f.startedAt.toISOString(),
    finishedAt: f.finishedAt.toISOString(),
    outcome,
    expected: s.expect.outcome,
    passed: checks.every((c) => c.ok),
    proposalId: proposal?.id ?? null,
    incidentId: proposal?.incidentId ?? audit.find((e) => e.incidentId)?.incidentId ?? null,
    proposalState: proposal?.state ?? null,
    sliBefore: proposal ? overallVerdict(proposal.sliBefore) : null,
    sliAfter: proposal?.sliAfter ? overallVerdict(proposal.sliAfter) : null,
    timings,
    attempts,
    retries,
    faults: f.faults,
    checks,
    auditRows: audit.length,
    postmortemPath: f.postmortemPath,
  };
}
