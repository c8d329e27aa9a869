import type { KnownBlock } from '@slack/types';
import { describeStep } from '../../domain/describe-step.js';
import { DRILL_MARK } from '../../domain/drill.js';
import type { StepFact } from '../../domain/step-fact.js';
import type { QueuedStep } from '../../ports/store.js';
import { mrkdwn } from './mrkdwn.js';

/** A step as a threaded Slack message: its words as mrkdwn, and where it sits in the audit trail. */
export function stepMessage(step: QueuedStep): { text: string; blocks: KnownBlock[] } {
  const text = `${step.drill ? DRILL_MARK : ''}${mrkdwn(describeStep(step.fact as unknown as StepFact))}`;
  const footer = `audit #${step.seq} · ${step.fact.action} · ${step.actor} · ${step.at} · ${step.hash.slice(0, 12)}`;
  const blocks: KnownBlock[] = [
    ...chunk(text, 3000).slice(0, 48).map((t): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: t } })),
    { type: 'context', elements: [{ type: 'mrkdwn', text: footer }] },
  ];
  return { text, blocks };
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
