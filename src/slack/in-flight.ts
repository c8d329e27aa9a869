import type { Logger } from '../log/logger.js';
import { ChatError } from '../ports/chat.js';
import type { OutboxItem } from '../ports/store.js';

/** How far before an item's in-flight mark its message is looked for: Slack's clock is not ours. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * For an outbox item marked in flight (its sender died, or Slack gave no clear answer): what
 * `find` sees of it in Slack since it was first handed over; undefined for an item never sent.
 * Slack down or pacing us throws, to ask again later. Slack refusing to show the channel (a token
 * without channels:history / groups:history, a public channel the bot is not in) would refuse
 * every time: the item is sent again rather than held forever, at least once as before.
 */
export async function findIfInFlight<T>(item: OutboxItem, log: Logger, find: (since: Date) => Promise<T | undefined>): Promise<T | undefined> {
  if (!item.sendingSince) return undefined;
  const since = new Date(Date.parse(item.sendingSince) - CLOCK_SKEW_MS);
  try {
    return await find(since);
  } catch (err) {
    if (!(err instanceof ChatError) || err.code !== 'refused') throw err;
    log.warn({ outboxId: item.id, err: err.details.slackError ?? err.message }, 'cannot look in Slack for what may have been sent before a restart; sending it (grant channels:history and groups:history)');
    return undefined;
  }
}
