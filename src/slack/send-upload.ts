import type { Deps } from '../app/deps.js';
import type { OutboxItem } from '../ports/store.js';
import { findIfInFlight } from './in-flight.js';

/**
 * Sends an `upload` item: its file shared in the proposal's thread (or the channel). A failure
 * throws, so the drainer backs off and retries it like any message.
 *
 * Files carry no message metadata, so exactly-once is by title: an item marked in flight (its
 * sender died, or Slack gave no clear answer) is first looked for among the thread's files with
 * the same title, and one found is not shared again. A file whose completion Slack accepted but
 * that does not show in the thread yet may, rarely, be shared twice: at least once, not lost.
 */
export async function sendUpload(deps: Pick<Deps, 'store' | 'chat' | 'clock' | 'log'>, item: OutboxItem): Promise<void> {
  const { store, chat, clock, log } = deps;
  const file = item.payload.upload;
  if (!file) return;
  let channel = item.channelId;
  let threadTs: string | undefined;
  if (item.proposalId) {
    const proposal = await store.proposals.get(item.proposalId);
    if (!proposal) return;
    if (!proposal.messageTs) throw new Error('proposal message not posted yet');
    channel = proposal.channelId;
    threadTs = proposal.messageTs;
  }
  if (!channel) return;
  const found = await findIfInFlight(item, log, (since) => chat.findUpload(channel, threadTs, file.title, { since }));
  if (found) {
    log.info({ outboxId: item.id, fileId: found.fileId }, 'file was shared before a restart; not sharing it again');
    return;
  }
  await store.outbox.markSending(item.id, clock.now().toISOString());
  await chat.upload({ channel, ...(threadTs ? { threadTs } : {}), filename: file.filename, title: file.title, content: Buffer.from(file.contentBase64, 'base64'), ...(file.altText ? { altText: file.altText } : {}) });
}
