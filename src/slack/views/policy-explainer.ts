import type { ResolvedService } from '../../config/policy.js';
import { whoMayApprove } from '../../domain/approval.js';
import { mrkdwn } from './mrkdwn.js';
import { comparatorSymbol, fmt } from '../../domain/sli.js';

const min = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

/** `/backstop policy <service>` in plain words: what Backstop will do, and why. */
export function explainPolicy(svc: ResolvedService): string {
  const lines = [`*What Backstop does for ${svc.name}*`];
  lines.push(`• Alerts whose labels match ${Object.entries(svc.match).map(([k, v]) => `\`${k}=${v}\``).join(' and ')} open or join its incident.`);
  const targets = svc.adapters ? `${svc.adapters.map((a) => a.kind).join(', then ')} together (all pre-flighted first; put back if one fails)` : svc.adapter!.kind;
  lines.push(`• Rollbacks go through ${targets} and need ${svc.requiredApprovals} distinct approval(s)${svc.critical ? ' (critical service: never fewer than two)' : ''} from ${mrkdwn(whoMayApprove(svc.approvers))}; whoever requests one cannot approve it. Unapproved proposals expire after ${min(svc.proposalTtl)}.`);
  for (const s of svc.slis) {
    const j = s.judge?.kind === 'relative' ? ` and more than ${fmt(s.judge.maxDegradation * 100)} % worse than the pre-deploy baseline` : s.judge?.kind === 'mann-whitney' ? ` with a Mann-Whitney test at ${s.judge.confidence} confidence` : s.judge?.kind === 'sequential' ? ` with a sequential test against the pre-deploy samples (false-rollback chance ≤ ${s.judge.alpha} per bake window)` : '';
    lines.push(`• SLI *${s.name}* (${s.source}) breaches when ${comparatorSymbol(s.comparator)} ${fmt(s.threshold)}${j}. Missing data or a failing metrics backend is inconclusive: never a reason to act, never a reason to call it healthy.`);
  }
  const d = svc.decision;
  if (!d) {
    lines.push('• No continuous analysis: Backstop acts on alerts and `/backstop rollback` only, and always asks people.');
  } else {
    lines.push(`• Each SLI is measured every ${min(d.interval)} for ${min(d.bakeWindow)} after a deploy and while an incident is open. ${d.failureLimit} breaches in a row trigger; ${d.inconclusiveLimit} inconclusive in a row page people ("cannot see, will not act").`);
    lines.push(d.mode === 'automatic'
      ? `• Mode *automatic*: on a trigger (or an alert of severity ${d.automaticSeverities.join('/')}) Backstop announces the rollback and runs it after ${min(d.grace)} unless an approver presses Stop.`
      : '• Mode *propose*: a trigger posts a proposal; people approve.');
    lines.push(`• Guards: ${min(d.cooldown)} cool-down after any rollback; at most ${d.maxAutomaticPerDay} automatic rollbacks a day; never back to a version rolled back from within ${min(d.pingPongWindow)}; an open proposal absorbs new triggers${d.freeze.length ? `; automatic action is off during ${d.freeze.map((f) => `${f.from}–${f.to} (${f.reason})`).join(', ')}` : ''}.`);
  }
  lines.push(`• After a rollback Backstop waits ${min(svc.settle)} and re-measures; if the SLIs do not recover it says so and offers a roll-forward.`);
  return lines.join('\n');
}
