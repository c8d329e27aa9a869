import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Acks the request, then lets the event loop answer every other request already waiting before
 * this one's slow work starts: under a burst of clicks, acks go out first (Slack drops an
 * interaction that is not acknowledged within 3 s).
 */
export async function ackFirst(ack: () => Promise<void>): Promise<void> {
  await ack();
  await nextTurn();
}
