import type { KnownBlock } from '@slack/types';
import type { OutboxItem, OutboxQueue, QueuedStep } from '../ports/store.js';
import { isOneLineStep, stepsMessage } from './views/step-message.js';

/**
 * Steps of one thread queued within this long of the first fold into one message: "Approved
 * 2/2", "Quorum reached" and "Executing" happen in the same second and read as one moment.
 */
export const FOLD_WINDOW_MS = 1000;
/** At most this many steps per message, so one fold stays short. */
export const FOLD_MAX = 6;

/** A thread item that is a plain one-line step: the only kind that folds (never proposal updates, uploads or long steps). */
function plainStep(item: OutboxItem): QueuedStep | undefined {
  const step = item.kind === 'thread' ? item.payload.step : undefined;
  return step && isOneLineStep(step) ? step : undefined;
}

export interface Fold {
  /** The message carrying every folded step, a line each. */
  message: { text: string; blocks: KnownBlock[] };
  /** The last outbox id in the message; `head.id` when nothing folded. */
  throughId: number;
}

/**
 * The head of a thread and the unsent steps right behind it that go out with it: due, plain
 * one-line steps of the same stream, queued within FOLD_WINDOW_MS of the head, in order and
 * without a gap (anything else stops the fold, so the thread keeps the order things happened).
 * Undefined when nothing folds and the head goes out alone.
 */
export async function foldSteps(outbox: Pick<OutboxQueue, 'following'>, head: OutboxItem, now: Date): Promise<Fold | undefined> {
  const first = plainStep(head);
  if (!first) return undefined;
  const steps = [first];
  let throughId = head.id;
  for (const next of await outbox.following(head.id, FOLD_MAX - 1)) {
    const step = plainStep(next);
    if (!step || step.drill !== first.drill || Date.parse(next.nextAttemptAt) > now.getTime()) break;
    if (Math.abs(Date.parse(step.at) - Date.parse(first.at)) > FOLD_WINDOW_MS) break;
    steps.push(step);
    throughId = next.id;
  }
  return steps.length > 1 ? { message: stepsMessage(steps), throughId } : undefined;
}

/**
 * Marks the steps folded behind the head sent, last first: a crash part-way leaves the head
 * unsent and in flight, so the next sender finds the message and marks the rest from it.
 */
export async function markFoldedSent(outbox: Pick<OutboxQueue, 'following' | 'markSent'>, head: OutboxItem, throughId: number, now: string): Promise<void> {
  if (throughId <= head.id) return;
  const folded = (await outbox.following(head.id, FOLD_MAX * 4)).filter((i) => i.id <= throughId);
  for (const item of folded.reverse()) await outbox.markSent(item.id, now);
}
