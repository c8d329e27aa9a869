/**
 * The words for each step of an incident, from its fact alone. One wording for every channel:
 * Slack renders the result as mrkdwn, PagerDuty notes and the postmortem as plain text.
 */
import { whoMayApprove } from './approval.js';
import type { ReadBackResult } from './proposal.js';
import { code, here, joinSaid, said, strong, user, type Said } from './said.js';
import type { SliReading } from './sli.js';
import { comparatorSymbol, fmt } from './sli.js';
import type { StepFact } from './step-fact.js';

const approvals = (given: number, required: number) => `${given}/${required}`;

function readingsText(readings: readonly SliReading[]): string {
  return readings.map((r) => `${r.name} ${r.reason}`).join('; ');
}

function verdictsText(readings: readonly SliReading[]): string {
  return readings.map((r) => `${r.name}: ${r.verdict === 'ok' ? 'ok' : r.verdict.replace('_', ' ')} (${r.reason})`).join('; ');
}

function notified(policy: Parameters<typeof whoMayApprove>[0] | undefined): Said {
  return policy ? said` cc ${whoMayApprove(policy)}` : [];
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toPrecision(3))} s`;
}

function verification(service: string, to: string, action: string, rb: ReadBackResult, readings: readonly SliReading[]): Said {
  const slis = verdictsText(readings);
  if (action === 'verification.recovered') {
    return said`🟢 Verified: ${service} on ${to}. The target reports ${to} (${rb.detail}) and every SLI is healthy: ${slis}.`;
  }
  if (action === 'verification.unconfirmed') {
    return said`🟡 SLIs healthy, version unconfirmed: the target cannot confirm its version; SLIs only (${rb.detail}). ${slis}. Check the target shows ${to} before calling it done.`;
  }
  if (rb.status === 'mismatch' || rb.status === 'unreachable') {
    const what = rb.status === 'mismatch' ? `the target still reports ${rb.version ?? 'no version'}, not ${to}` : 'the target could not be read back';
    return said`🟠 Not recovered: ${what} (${rb.detail}). The SLIs were not re-measured as a recovery. A human must look now.`;
  }
  const confirmed = rb.status === 'confirmed' ? `the target reports ${to}, but` : 'the target cannot confirm its version, and';
  return said`🟠 Not recovered: ${confirmed} not every SLI is healthy: ${slis || 'nothing was measured'}. A human must look now.`;
}

export function describeStep(f: StepFact): Said {
  switch (f.action) {
    case 'proposal.approved_by':
      return f.given < f.required
        ? said`✅ Approved by ${user(f.user)} (${approvals(f.given, f.required)}); waiting for ${f.required - f.given} more.`
        : said`✅ Approved by ${user(f.user)} (${approvals(f.given, f.required)}).`;
    case 'proposal.approved':
      return said`Quorum reached: rolling back ${f.service} to ${f.to}.`;
    case 'proposal.rejected':
      return said`⛔ Rejected by ${user(f.user)}: ${f.reason}`;
    case 'proposal.expired':
      return said`⌛ Proposal expired at ${f.expiresAt} with ${approvals(f.given, f.required)} approvals; nothing was executed. Propose again if the rollback is still needed.`;
    case 'proposal.cancelled':
      return said`Proposal withdrawn: ${f.reason}. Nothing was executed.`;
    case 'proposal.auto_approved':
      return said`🤖 Grace period over and nobody pressed Stop: rolling back ${f.service} to ${f.to} automatically (${f.reason}).`;
    case 'proposal.stopped':
      return said`✋ Stopped by ${user(f.user)}: the automatic rollback of ${f.service} will not run.`;
    case 'proposal.break_glass':
      return said`${here} 🚨 ${strong('BREAK-GLASS')} by ${user(f.user)}: executing without the full quorum (${approvals(f.given, f.required)}). Reason: ${f.reason}`;
    case 'execution.started':
      return said`⏳ Executing rollback of ${f.service}: ${f.from ?? 'unknown'} → ${f.to}.`;
    case 'execution.succeeded':
      return said`🔁 Rolled back ${f.service} to ${f.to}: ${f.detail}. Verifying: reading the target back, then the SLIs…`;
    case 'execution.failed':
      return said`❌ Rollback of ${f.service} to ${f.to} failed: ${f.detail}${notified(f.notify)}. Nothing is reported as rolled back; follow the runbook.`;
    case 'execution.superseded': {
      const now = f.current ?? 'an unknown version';
      return said`⚠️ Superseded: ${f.service} now serves ${now}, which nobody approved removing (the approval was for ${f.from ?? 'unknown'} → ${f.to}). Nothing was rolled back. If ${now} is bad too, propose again: ${code(`/backstop rollback ${f.service} <reason>`)}.${notified(f.notify)}`;
    }
    case 'execution.stage':
      return said`↗️ ${f.percent}% of traffic on ${f.to}: SLIs improved (${readingsText(f.readings)}). Continuing.`;
    case 'execution.halted':
      return said`🛑 Stopped at ${f.percent}% of traffic on ${f.to}: the SLIs did not improve (${readingsText(f.readings)}). Traffic stays split at ${f.percent}%; a human decides whether to continue or roll forward.`;
    case 'verification.recovered':
    case 'verification.unconfirmed':
    case 'verification.not_recovered':
      return verification(f.service, f.to, f.action, f.readBack, f.readings);
    case 'proposal.created': {
      const slis = f.readings.map((r) => `${r.name} ${fmt(r.current)} (${r.verdict.replace('_', ' ')}: ${r.reason}; breach if ${comparatorSymbol(r.comparator)} ${fmt(r.threshold)})`).join(', ');
      return said`📋 Proposed rollback of ${f.service} ${f.from ?? 'unknown'} → ${f.to} (${f.reason}). SLIs: ${slis}. Needs ${f.required} approval(s) before ${f.expiresAt}.`;
    }
    case 'preflight.failed':
      return said`⛔ Pre-flight failed for ${f.to}: ${f.checks.map((c) => `${c.name}: ${c.detail}`).join('; ')}. This rollback cannot be approved; fix the target or roll forward.`;
    case 'proposal.automatic':
      return said`🤖 Automatic rollback at ${f.at} unless an approver presses ${strong('Stop')}. Why: ${f.reason}.`;
    case 'automatic.refused':
      return said`Automatic rollback is not allowed now (${f.refusal}); waiting for approvers instead.`;
    case 'proposal.not_possible':
      return f.problem === 'target_error'
        ? said`⚠️ ${f.message}. No rollback proposed; follow the runbook.`
        : said`⚠️ ${f.message} Roll forward or pick a version by hand.`;
    case 'execution.attempt_failed': {
      const next = f.next === 'retry' ? `retrying in ${seconds(f.retryInMs ?? 0)}` : f.next === 'exhausted' ? 'no attempts left' : 'not retried: the target refused it';
      return said`⚠️ ${f.what.charAt(0).toUpperCase()}${f.what.slice(1)} attempt ${f.attempt} of ${f.of} failed: ${f.error}; ${next}.`;
    }
    case 'analysis.blind': {
      const lines = joinSaid(f.slis.map((s) => said`• ${strong(s.sli)}: ${s.reason}`), '\n');
      return said`👀 ${strong(`${f.service}: Backstop cannot see, and will not act.`)}\n${lines}\nNothing will be rolled back automatically until the SLIs can be measured again. Paging: ${whoMayApprove(f.notify)}.`;
    }
    case 'approve.refused':
    case 'reject.refused':
      return said`🚫 ${user(f.user)} tried to ${f.action === 'approve.refused' ? 'approve' : 'reject'} but was refused: ${f.code.replaceAll('_', ' ')}.`;
    case 'incident.opened':
      if (f.by.kind === 'user') return said`🚨 Incident ${f.incidentId} opened by ${user(f.by.user)} for ${f.service}: ${f.title}`;
      return said`🚨 Incident ${f.incidentId} opened${f.by.kind === 'analysis' ? ' by analysis' : ''} for ${f.service}: ${f.title}`;
    case 'incident.resolved':
      return f.by.kind === 'alerts' ? said`✅ All alerts resolved: incident closed.` : said`✅ Incident resolved by ${user(f.by.user)}.`;
    case 'postmortem.drafted':
      return said`📝 ${strong('Postmortem draft')} (also written to ${code(f.path)})\n\n${f.markdown}`;
  }
}
