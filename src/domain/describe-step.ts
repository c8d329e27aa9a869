/**
 * The words for each step of an incident, from its fact alone. One wording for every channel:
 * Slack renders the result as mrkdwn, PagerDuty notes and the postmortem as plain text. Each
 * step reads as one line (emoji, what happened, who); what only some readers need (SLI verdicts,
 * an error's text, the read-back) is its detail, shown under the line.
 */
import { whoMayApprove } from './approval.js';
import { describeStatusUpdate } from './incident-status.js';
import type { ReadBackResult } from './proposal.js';
import { code, here, joinSaid, said, strong, time, user, type Said } from './said.js';
import type { SliReading } from './sli.js';
import type { StepFact } from './step-fact.js';

const approvals = (given: number, required: number) => `${given}/${required}`;

/** A step's words: the line everyone reads, and the detail under it for whoever needs it. */
export interface StepWords {
  line: Said;
  detail?: Said;
}

const verdictWord = (r: SliReading) => r.verdict.replace('_', ' ');

/** One SLI per line: "• accuracy: ok (0.91 within threshold 0.85)". */
function readingLines(readings: readonly SliReading[]): Said {
  return joinSaid(readings.map((r) => said`• ${r.name}: ${verdictWord(r)} (${r.reason})`), '\n');
}

function notified(policy: Parameters<typeof whoMayApprove>[0] | undefined): Said {
  return policy ? said` cc ${whoMayApprove(policy)}` : [];
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toPrecision(3))} s`;
}

function verification(service: string, to: string, action: string, rb: ReadBackResult, readings: readonly SliReading[]): StepWords {
  const slis = readings.length ? readingLines(readings) : said`Nothing was measured.`;
  const readBack = said`Read back: ${rb.detail}.`;
  if (action === 'verification.recovered') {
    return { line: said`🟢 Verified: ${service} on ${to}. The target reports ${to} and every SLI is healthy.`, detail: said`${readBack}\n${slis}` };
  }
  if (action === 'verification.unconfirmed') {
    return { line: said`🟡 SLIs healthy, version unconfirmed: the target cannot confirm its version; SLIs only. Check the target shows ${to} before calling it done.`, detail: said`${readBack}\n${slis}` };
  }
  if (rb.status === 'mismatch' || rb.status === 'unreachable') {
    const what = rb.status === 'mismatch' ? `the target still reports ${rb.version ?? 'no version'}, not ${to}` : 'the target could not be read back';
    return { line: said`🟠 Not recovered: ${what}. The SLIs were not re-measured as a recovery. A human must look now.`, detail: readBack };
  }
  const confirmed = rb.status === 'confirmed' ? `the target reports ${to}, but` : 'the target cannot confirm its version, and';
  return { line: said`🟠 Not recovered: ${confirmed} not every SLI is healthy. A human must look now.`, detail: said`${readBack}\n${slis}` };
}

/** A step as one text: its line, then its detail on the lines below (PagerDuty notes, the audit row). */
export function describeStep(f: StepFact): Said {
  const w = stepWords(f);
  return w.detail ? said`${w.line}\n${w.detail}` : w.line;
}

export function stepWords(f: StepFact): StepWords {
  switch (f.action) {
    case 'proposal.approved_by':
      return { line: f.given < f.required
        ? said`✅ Approved by ${user(f.user)} (${approvals(f.given, f.required)}); waiting for ${f.required - f.given} more.`
        : said`✅ Approved by ${user(f.user)} (${approvals(f.given, f.required)}).` };
    case 'proposal.approved':
      return { line: said`👥 Quorum reached: rolling back ${f.service} to ${f.to}.` };
    case 'proposal.rejected':
      return { line: said`⛔ Rejected by ${user(f.user)}: ${f.reason}` };
    case 'proposal.expired':
      return { line: said`⌛ Proposal expired at ${time(f.expiresAt)} with ${approvals(f.given, f.required)} approvals; nothing was executed. Propose again if the rollback is still needed.` };
    case 'proposal.cancelled':
      return { line: said`↩️ Proposal withdrawn: ${f.reason}. Nothing was executed.` };
    case 'proposal.auto_approved':
      return { line: said`🤖 Grace period over and nobody pressed Stop: rolling back ${f.service} to ${f.to} automatically.`, detail: said`Why: ${f.reason}.` };
    case 'proposal.stopped':
      return { line: said`✋ Stopped by ${user(f.user)}: the automatic rollback of ${f.service} will not run.` };
    case 'proposal.break_glass':
      return { line: said`${here} 🚨 ${strong('BREAK-GLASS')} by ${user(f.user)}: executing without the full quorum (${approvals(f.given, f.required)}). Reason: ${f.reason}` };
    case 'execution.started':
      return { line: said`⏳ Executing rollback of ${f.service}: ${f.from ?? 'unknown'} → ${f.to}.` };
    case 'execution.succeeded':
      return { line: said`🔁 Rolled back ${f.service} to ${f.to}. Verifying: reading the target back, then the SLIs…`, detail: said`${f.detail}.` };
    case 'execution.failed':
      return { line: said`❌ Rollback of ${f.service} to ${f.to} failed: nothing is reported as rolled back; follow the runbook.${notified(f.notify)}`, detail: said`${f.detail}` };
    case 'execution.superseded': {
      const now = f.current ?? 'an unknown version';
      return {
        line: said`⚠️ Superseded: ${f.service} now serves ${now}, which nobody approved removing. Nothing was rolled back.${notified(f.notify)}`,
        detail: said`The approval was for ${f.from ?? 'unknown'} → ${f.to}. If ${now} is bad too, propose again: ${code(`/backstop rollback ${f.service} <reason>`)}.`,
      };
    }
    case 'execution.stage':
      return { line: said`↗️ ${f.percent}% of traffic on ${f.to}: SLIs improved. Continuing.`, detail: readingLines(f.readings) };
    case 'execution.halted':
      return { line: said`🛑 Stopped at ${f.percent}% of traffic on ${f.to}: the SLIs did not improve. Traffic stays split at ${f.percent}%; a human decides whether to continue or roll forward.`, detail: readingLines(f.readings) };
    case 'verification.recovered':
    case 'verification.unconfirmed':
    case 'verification.not_recovered':
      return verification(f.service, f.to, f.action, f.readBack, f.readings);
    case 'proposal.created': {
      return { line: said`📋 Proposed rollback of ${f.service} ${f.from ?? 'unknown'} → ${f.to} (${f.reason}). Needs ${f.required} ${f.required === 1 ? 'approval' : 'approvals'} before ${time(f.expiresAt)}.`, detail: readingLines(f.readings) };
    }
    case 'preflight.failed':
      return { line: said`⛔ Pre-flight failed for ${f.to}: this rollback cannot be approved; fix the target or roll forward.`, detail: joinSaid(f.checks.map((c) => said`• ${c.name}: ${c.detail}`), '\n') };
    case 'proposal.automatic':
      return { line: said`🤖 Automatic rollback at ${time(f.at)} unless an approver presses ${strong('Stop')}.`, detail: said`Why: ${f.reason}.` };
    case 'automatic.refused':
      return { line: said`🙅 Automatic rollback is not allowed now (${f.refusal}); waiting for approvers instead.` };
    case 'proposal.not_possible':
      return { line: f.problem === 'target_error'
        ? said`⚠️ ${f.message}. No rollback proposed; follow the runbook.`
        : said`⚠️ ${f.message} Roll forward or pick a version by hand.` };
    case 'execution.attempt_failed': {
      const next = f.next === 'retry' ? `retrying in ${seconds(f.retryInMs ?? 0)}` : f.next === 'exhausted' ? 'no attempts left' : 'not retried: the target refused it';
      return { line: said`⚠️ ${f.what.charAt(0).toUpperCase()}${f.what.slice(1)} attempt ${f.attempt} of ${f.of} failed: ${f.error}; ${next}.` };
    }
    case 'analysis.blind': {
      const lines = joinSaid(f.slis.map((s) => said`• ${strong(s.sli)}: ${s.reason}`), '\n');
      return {
        line: said`👀 ${strong(`${f.service}: Backstop cannot see, and will not act.`)} Nothing will be rolled back automatically until the SLIs can be measured again. Paging: ${whoMayApprove(f.notify)}.`,
        detail: lines,
      };
    }
    case 'approve.refused':
    case 'reject.refused':
      return { line: said`🚫 ${user(f.user)} tried to ${f.action === 'approve.refused' ? 'approve' : 'reject'} but was refused: ${f.code.replaceAll('_', ' ')}.` };
    case 'incident.opened':
      if (f.by.kind === 'user') return { line: said`🚨 Incident ${f.incidentId} opened by ${user(f.by.user)} for ${f.service}: ${f.title}` };
      return { line: said`🚨 Incident ${f.incidentId} opened${f.by.kind === 'analysis' ? ' by analysis' : ''} for ${f.service}: ${f.title}` };
    case 'incident.resolved':
      return { line: f.by.kind === 'alerts' ? said`✅ All alerts resolved: incident closed.` : said`✅ Incident resolved by ${user(f.by.user)}.` };
    case 'incident.status_update':
      return { line: describeStatusUpdate(f) };
    case 'postmortem.drafted': {
      // The local path means nothing in Slack: the draft itself follows as a file.
      if (!f.summary) return { line: said`📝 ${strong('Postmortem draft')}`, detail: said`${f.markdown}` };
      const r = f.summary.rollback;
      return {
        line: said`📝 ${strong('Postmortem draft')} for ${f.summary.service} (${f.summary.incidentId})${r ? `: ${r.from ?? 'unknown'} → ${r.to}, ${r.state.replaceAll('_', ' ')}` : ''}.`,
        detail: said`The full draft and the SLI chart follow as files: ${(f.files ?? []).join(', ') || 'none'}.`,
      };
    }
  }
}
