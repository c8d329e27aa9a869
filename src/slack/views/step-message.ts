import type { KnownBlock } from '@slack/types';
import { stepWords } from '../../domain/describe-step.js';
import { DRILL_MARK } from '../../domain/drill.js';
import type { StepFact } from '../../domain/step-fact.js';
import type { QueuedStep } from '../../ports/store.js';
import { mrkdwn, slackDate } from './mrkdwn.js';
import { postmortemStepMessage } from './postmortem-summary.js';

/** Detail this short sits in a small context line under the step; longer detail gets sections. */
const CONTEXT_DETAIL_MAX = 1500;

const words = (step: QueuedStep) => stepWords(step.fact as unknown as StepFact);

/** Whether the step reads as one line alone (no detail under it): only those fold together. */
export function isOneLineStep(step: QueuedStep): boolean {
  return words(step).detail === undefined;
}

/**
 * A step as a threaded Slack message: one line (emoji, what happened, who as a mention), its
 * detail under it when it has one, and a small context naming its audit row and its time. The
 * actor id, exact time and hash stay in the audit trail (`backstop audit verify`).
 */
export function stepMessage(step: QueuedStep): { text: string; blocks: KnownBlock[] } {
  return stepsMessage([step]);
}

/**
 * Several steps of one thread, queued within the same second, as one message: a line each,
 * then `audit #5, #6, #7` and the time. A lone step may carry its detail.
 */
export function stepsMessage(steps: readonly QueuedStep[]): { text: string; blocks: KnownBlock[] } {
  const first = steps[0];
  if (!first) throw new Error('stepsMessage needs at least one step');
  // The postmortem is a summary in blocks, not a line (it never folds: it has detail).
  const f = first.fact as unknown as StepFact;
  if (steps.length === 1 && f.action === 'postmortem.drafted' && f.summary) return postmortemStepMessage(first, f.summary, f.files ?? []);
  const mark = first.drill ? DRILL_MARK : '';
  const lines = steps.map((s) => `${mark}${mrkdwn(words(s).line)}`);
  const said = steps.length === 1 ? words(first).detail : undefined;
  const detail = said && mrkdwn(said).trim() ? mrkdwn(said) : undefined;
  const audit = `audit ${steps.map((s) => `#${s.seq}`).join(', ')} · ${slackDate(first.at, '{time_secs}')}`;
  const blocks: KnownBlock[] = chunk(lines.join('\n'), 3000).slice(0, 10).map((t): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: t } }));
  if (detail !== undefined) {
    if (detail.length <= CONTEXT_DETAIL_MAX) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: detail }] });
    else blocks.push(...chunk(detail, 3000).slice(0, 36).map((t): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: t } })));
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: audit }] });
  return { text: detail !== undefined ? `${lines.join('\n')}\n${detail}` : lines.join('\n'), blocks };
}

/** Splits long text at line breaks into pieces Slack accepts in one section (3000 chars). */
export function chunk(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    const piece = line.length > max ? line.slice(0, max - 1) + '…' : line;
    if (cur && cur.length + 1 + piece.length > max) {
      out.push(cur);
      cur = piece;
    } else {
      cur = cur ? `${cur}\n${piece}` : piece;
    }
  }
  if (cur || out.length === 0) out.push(cur || ' ');
  return out;
}
