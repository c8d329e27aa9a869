import { describeStep } from '../domain/describe-step.js';
import { DRILL_MARK } from '../domain/drill.js';
import { peopleIn, plainText } from '../domain/said.js';
import type { StepFact } from '../domain/step-fact.js';
import type { Directory } from '../ports/chat.js';
import type { OutboxItem } from '../ports/store.js';

/**
 * A PagerDuty note's text, worded when it is sent: people by display name (PagerDuty cannot
 * resolve Slack ids), looked up here rather than in the transaction that queued the note, which
 * must stay free of network calls. Notes queued as text alone (older rows) go as they are.
 */
export async function pagerDutyNoteText(directory: Pick<Directory, 'displayName'>, item: OutboxItem): Promise<string> {
  const step = item.payload.step;
  if (!step) return item.payload.text;
  const words = describeStep(step.fact as unknown as StepFact);
  const names = new Map(await Promise.all(peopleIn(words).map(async (id) => [id, await directory.displayName(id)] as const)));
  return `[Backstop] ${step.drill ? DRILL_MARK : ''}${plainText(words, (id) => names.get(id))} (audit #${step.seq})`;
}
