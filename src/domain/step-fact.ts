/**
 * Every step of an incident as a fact: what happened, with the data, and no wording. The audit
 * trail stores it; Slack, PagerDuty and the postmortem each render it their own way.
 */
import type { ApproverPolicy } from './approval.js';
import type { StatusUpdateFact } from './incident-status.js';
import type { PostmortemSummary } from './postmortem-summary.js';
import type { ReadBackResult } from './proposal.js';
import type { SliReading } from './sli.js';

export type ProposalFact =
  | { action: 'proposal.approved_by'; user: string; given: number; required: number }
  | { action: 'proposal.approved'; service: string; to: string }
  | { action: 'proposal.rejected'; user: string; reason: string }
  | { action: 'proposal.expired'; expiresAt: string; given: number; required: number }
  | { action: 'proposal.cancelled'; reason: string }
  | { action: 'proposal.auto_approved'; service: string; to: string; reason: string }
  | { action: 'proposal.stopped'; user: string; service: string }
  | { action: 'proposal.break_glass'; user: string; given: number; required: number; reason: string }
  | { action: 'execution.started'; service: string; from: string | null; to: string }
  | { action: 'execution.succeeded'; service: string; to: string; detail: string }
  | { action: 'execution.failed'; service: string; to: string; detail: string; notify?: ApproverPolicy }
  | { action: 'execution.superseded'; service: string; from: string | null; to: string; current: string | null; notify?: ApproverPolicy }
  | { action: 'execution.stage'; percent: number; to: string; readings: readonly SliReading[] }
  | { action: 'execution.halted'; percent: number; to: string; readings: readonly SliReading[] }
  | { action: 'verification.recovered' | 'verification.unconfirmed' | 'verification.not_recovered'; service: string; to: string; readBack: ReadBackResult; readings: readonly SliReading[] };

export type StepFact =
  | ProposalFact
  | { action: 'proposal.created'; service: string; from: string | null; to: string; reason: string; readings: readonly SliReading[]; required: number; expiresAt: string }
  | { action: 'preflight.failed'; to: string; checks: readonly { name: string; detail: string }[] }
  | { action: 'proposal.automatic'; at: string; reason: string }
  | { action: 'automatic.refused'; refusal: string }
  | { action: 'proposal.not_possible'; problem: 'target_error' | 'no_target'; message: string }
  | { action: 'execution.attempt_failed'; what: string; attempt: number; of: number; error: string; next: 'retry' | 'exhausted' | 'refused'; retryInMs: number | null }
  | { action: 'analysis.blind'; service: string; slis: readonly { sli: string; reason: string }[]; notify: ApproverPolicy }
  | { action: 'approve.refused' | 'reject.refused'; user: string; code: string }
  | { action: 'incident.opened'; incidentId: string; service: string; title: string; by: { kind: 'alert' } | { kind: 'user'; user: string } | { kind: 'analysis' } }
  | { action: 'incident.resolved'; by: { kind: 'alerts' } | { kind: 'user'; user: string } }
  | StatusUpdateFact
  /**
   * `summary` is posted as blocks, the draft and the chart follow as files (`files`, their titles).
   * Rows written before summaries carry the whole `markdown` instead.
   */
  | { action: 'postmortem.drafted'; path: string; summary?: PostmortemSummary; files?: string[]; markdown?: string };

export type StepAction = StepFact['action'];
