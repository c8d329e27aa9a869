/**
 * The postmortem at a glance, as data: what Slack shows as blocks above the files. People stay
 * user ids here (Slack renders them as mentions); the markdown draft names them.
 */
import { isDrill } from './drill.js';
import type { Incident } from './incident.js';
import type { Proposal, ProposalState } from './proposal.js';
import type { Comparator, SliReading } from './sli.js';
import type { AuditEntry } from './audit.js';

export interface PostmortemInput {
  incident: Incident;
  proposals: Proposal[];
  audit: AuditEntry[];
  alertNames: string[];
  /** Display names by user id, resolved before rendering (the renderer does no I/O). */
  names?: Readonly<Record<string, string>>;
}

export interface PostmortemTimings {
  toProposalMs: number | null;
  toApprovalMs: number | null;
  toRecoveryMs: number | null;
}

export interface SummarySli {
  name: string;
  unit?: string;
  comparator: Comparator;
  threshold: number;
  baseline: number | null;
  before: number | null;
  verdictBefore: string;
  after: number | null;
  /** Null when nothing was measured after the rollback. */
  verdictAfter: string | null;
}

export interface SummaryDecision {
  proposalId: string;
  state: ProposalState;
  from: string | null;
  to: string;
  /** `alert`, or the user id of whoever asked. */
  requestedBy: string;
  reason: string;
  approvedBy: string[];
  decisionReason: string | null;
  breakGlass: string | null;
}

export interface PostmortemSummary {
  incidentId: string;
  service: string;
  title: string;
  severity: string | null;
  drill: boolean;
  alerts: string[];
  /** From the incident's start to recovery (the rollback verified), else to its resolution. */
  impact: { start: string; end: string | null };
  timings: PostmortemTimings;
  /** The rollback that ran (else the first proposed), or null when none was proposed. */
  rollback: { from: string | null; to: string; state: ProposalState } | null;
  approvedBy: string[];
  decisions: SummaryDecision[];
  slis: SummarySli[];
}

export function timings(input: Pick<PostmortemInput, 'incident' | 'proposals'>): PostmortemTimings {
  const opened = Date.parse(input.incident.openedAt);
  const p = input.proposals[0];
  const since = (iso: string | null | undefined) => (iso ? Date.parse(iso) - opened : null);
  const recovered = input.proposals.find((x) => x.state === 'verified');
  return {
    toProposalMs: since(p?.createdAt),
    toApprovalMs: since(input.proposals.find((x) => x.decidedAt && x.approvals.length >= x.requiredApprovals)?.decidedAt),
    toRecoveryMs: since(recovered?.verifiedAt),
  };
}

/** The proposal the postmortem is about: the one that ran, else the first. */
export function mainProposal(proposals: readonly Proposal[]): Proposal | undefined {
  return proposals.find((p) => p.executedAt) ?? proposals[0];
}

function sliRows(before: readonly SliReading[], after: readonly SliReading[] | null): SummarySli[] {
  return before.map((b) => {
    const a = after?.find((x) => x.name === b.name);
    return {
      name: b.name, ...(b.unit ? { unit: b.unit } : {}), comparator: b.comparator, threshold: b.threshold, baseline: b.baseline,
      before: b.current, verdictBefore: b.verdict, after: a?.current ?? null, verdictAfter: a ? a.verdict : null,
    };
  });
}

export function postmortemSummary(input: PostmortemInput): PostmortemSummary {
  const { incident, proposals } = input;
  const main = mainProposal(proposals);
  const recovered = proposals.find((p) => p.state === 'verified');
  return {
    incidentId: incident.id, service: incident.service, title: incident.title, severity: incident.severity,
    drill: isDrill(incident.service), alerts: [...new Set(input.alertNames)],
    impact: { start: incident.openedAt, end: recovered?.verifiedAt ?? incident.resolvedAt },
    timings: timings(input),
    rollback: main ? { from: main.fromVersion, to: main.toVersion, state: main.state } : null,
    approvedBy: [...new Set(proposals.flatMap((p) => p.approvals.map((a) => a.user)))],
    decisions: proposals.map((p) => ({
      proposalId: p.id, state: p.state, from: p.fromVersion, to: p.toVersion, requestedBy: p.requestedBy, reason: p.reason,
      approvedBy: p.approvals.map((a) => a.user), decisionReason: p.decisionReason, breakGlass: p.breakGlass ?? null,
    })),
    slis: main ? sliRows(main.sliBefore, main.sliAfter) : [],
  };
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return 'n/a';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** A value with its unit where the SLI has one: "412 ms", "0.8". */
export function withUnit(v: number | null, unit: string | undefined, fmt: (v: number | null) => string): string {
  return v !== null && unit ? `${fmt(v)} ${unit}` : fmt(v);
}

/** A proposal's state as people say it. */
export function stateWords(state: ProposalState | string): string {
  return state.replaceAll('_', ' ');
}
