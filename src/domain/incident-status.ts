/**
 * Where an incident stands, from the incident and its latest proposal alone: the status line of
 * the incident header and the "what Backstop is doing, what it waits for" of a status update.
 * Pure: data in, phase and reason out.
 */
import type { MeasurementVerdict } from './judge.js';
import type { Incident } from './incident.js';
import type { Proposal } from './proposal.js';
import { said, strong, type Said } from './said.js';

/** investigating → (awaiting approval) → rolling back → verifying → verified / not recovered → resolved. */
export type IncidentPhase =
  | 'investigating'
  | 'awaiting_approval'
  | 'rolling_back'
  | 'verifying'
  | 'verified'
  | 'unconfirmed'
  | 'not_recovered'
  | 'rollback_failed'
  | 'resolved';

/** The part of a proposal the status needs (kept small so a status-update fact can carry it). */
export type ProposalGist = {
  id: string;
  state: Proposal['state'];
  from: string | null;
  to: string;
  given: number;
  required: number;
  autoExecuteAt: string | null;
};

export function proposalGist(p: Proposal): ProposalGist {
  return {
    id: p.id, state: p.state, from: p.fromVersion, to: p.toVersion, given: new Set(p.approvals.map((a) => a.user)).size,
    required: p.requiredApprovals, autoExecuteAt: p.automatic && p.state === 'pending' ? (p.autoExecuteAt ?? null) : null,
  };
}

/** The latest proposal of an incident: the one its header and status updates report. */
export function latestProposal(proposals: readonly Proposal[]): Proposal | undefined {
  return [...proposals].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
}

/** The phase of an open incident follows its latest proposal; a resolved one is resolved whatever it tried. */
export function incidentPhase(incident: Pick<Incident, 'status'>, latest: ProposalGist | undefined): IncidentPhase {
  if (incident.status === 'resolved') return 'resolved';
  if (!latest) return 'investigating';
  switch (latest.state) {
    case 'pending': return 'awaiting_approval';
    case 'approved':
    case 'executing': return 'rolling_back';
    case 'executed': return 'verifying';
    case 'verified': return 'verified';
    case 'unconfirmed': return 'unconfirmed';
    case 'not_recovered': return 'not_recovered';
    case 'failed': return 'rollback_failed';
    // Nothing was rolled back: people are still working it out.
    case 'rejected':
    case 'expired':
    case 'cancelled':
    case 'superseded': return 'investigating';
  }
}

const TITLE: Record<IncidentPhase, string> = {
  investigating: '🔍 Investigating',
  awaiting_approval: '🔍 Investigating: rollback awaiting approval',
  rolling_back: '⏳ Rolling back',
  verifying: '🔁 Rolled back, verifying',
  verified: '🟢 Verified',
  unconfirmed: '🟡 SLIs healthy, version unconfirmed',
  not_recovered: '🟠 Not recovered',
  rollback_failed: '❌ Rollback failed',
  resolved: '✅ Resolved',
};

export function phaseTitle(phase: IncidentPhase): string {
  return TITLE[phase];
}

const ENDED: Partial<Record<Proposal['state'], string>> = {
  rejected: 'was rejected', expired: 'expired unapproved', cancelled: 'was withdrawn', superseded: 'was superseded (the target moved)',
};

/** What Backstop is doing now and what it waits for, in a sentence. */
export function doingNow(phase: IncidentPhase, latest: ProposalGist | undefined): Said {
  const move = latest ? `${latest.from ?? 'unknown'} → ${latest.to}` : '';
  switch (phase) {
    case 'investigating': {
      const ended = latest && ENDED[latest.state];
      return ended
        ? said`The rollback ${move} ${ended}; nothing was rolled back. Waiting for people: ${strong('/backstop rollback')} proposes again.`
        : said`No rollback proposed yet. Watching the alerts and SLIs.`;
    }
    case 'awaiting_approval':
      return latest?.autoExecuteAt
        ? said`Rollback ${move} runs automatically at ${latest.autoExecuteAt} unless an approver presses ${strong('Stop')}.`
        : said`Waiting for approvals of the rollback ${move}: ${latest?.given ?? 0}/${latest?.required ?? 1}.`;
    case 'rolling_back':
      return said`Executing the rollback ${move}; waiting for the target.`;
    case 'verifying':
      return said`Rolled back to ${latest?.to ?? 'the good version'}; verifying: reading the target back, then the SLIs.`;
    case 'verified':
    case 'unconfirmed':
      return said`Rolled back to ${latest?.to ?? 'the good version'}. Watching: the incident resolves when its alerts do.`;
    case 'not_recovered':
      return said`The rollback to ${latest?.to ?? 'the good version'} did not recover the service. Waiting for people: roll forward or follow the runbook.`;
    case 'rollback_failed':
      return said`The rollback ${move} failed; nothing is reported as rolled back. Waiting for people: follow the runbook.`;
    case 'resolved':
      return said`Nothing: every alert has resolved.`;
  }
}

/** An SLI's latest verdict, as a status update reports it. */
export type SliVerdictNow = {
  name: string;
  verdict: MeasurementVerdict;
  reason: string;
};

/** The fact a timed status update records: what is known, what Backstop does, what it waits for. */
// A type, not an interface: facts are stored as records (an interface has no index signature).
export type StatusUpdateFact = {
  action: 'incident.status_update';
  incidentId: string;
  service: string;
  phase: IncidentPhase;
  firing: readonly { name: string; summary: string | null }[];
  slis: readonly SliVerdictNow[];
  proposal: ProposalGist | null;
};

/** A status update in words (Slack renders it as mrkdwn, the postmortem as plain text). */
export function describeStatusUpdate(f: StatusUpdateFact): Said {
  const names = [...new Set(f.firing.map((a) => a.name))];
  const firing = f.firing.length === 0 ? 'No alert firing' : `${f.firing.length} alert(s) firing (${names.join(', ')})`;
  const slis = f.slis.length === 0 ? '' : ` SLIs: ${f.slis.map((s) => `${s.name} ${s.verdict.replace('_', ' ')} (${s.reason})`).join('; ')}.`;
  return said`📣 ${strong(`Status of ${f.service}: ${phaseTitle(f.phase)}.`)} ${firing}.${slis} ${doingNow(f.phase, f.proposal ?? undefined)}`;
}
