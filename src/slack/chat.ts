import type { WebClient } from '@slack/web-api';
import { ChatError, isOutboxMetadata, outboxThrough, type Chat, type ChatMessage, type ChatUpload, type FoundMessage } from '../ports/chat.js';

/** The Web API client's error shapes, read here and nowhere else. */
function slackErrorOf(err: unknown): string | undefined {
  return (err as { data?: { error?: string } } | undefined)?.data?.error;
}

/** One closed ChatError for whatever the Web API client threw. */
export function toChatError(err: unknown, what: string): ChatError {
  if (err instanceof ChatError) return err;
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; message?: string } | undefined;
  if (e?.code === 'slack_webapi_rate_limited_error' || typeof e?.retryAfter === 'number') {
    return new ChatError('rate_limited', `${what}: rate limited by Slack`, { retryAfterMs: (e?.retryAfter ?? 1) * 1000 });
  }
  const slackError = slackErrorOf(err);
  // Slack answered, and said no: retrying the same call would get the same answer, except for its own outages.
  if (slackError && !['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'].includes(slackError)) {
    return new ChatError('refused', `${what}: ${slackError}`, { slackError });
  }
  return new ChatError('unavailable', `${what}: ${slackError ?? e?.message ?? String(err)}`, slackError ? { slackError } : {});
}

async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toChatError(err, what);
  }
}

/** Messages per page, and pages at most, read when looking for a posted outbox item. */
const FIND_PAGE = 200;
const FIND_PAGES = 10;

/** A Slack timestamp (`seconds.micros`) for a time. */
function slackTs(at: Date): string {
  return (at.getTime() / 1000).toFixed(6);
}

/** uploadV2 answers one completion per file: `{ files: [{ files: [{ id }] }] }`. */
function uploadedFileId(res: unknown): string | undefined {
  const completions = (res as { files?: { files?: { id?: string }[] }[] } | undefined)?.files ?? [];
  return completions.flatMap((c) => c.files ?? []).find((f) => f.id)?.id;
}

/** The Chat port over Slack's Web API. */
export class SlackChat implements Chat {
  constructor(private readonly client: WebClient) {}

  async post(msg: ChatMessage): Promise<{ channel: string; ts: string }> {
    const res = await call('chat.postMessage', () => this.client.chat.postMessage({
      channel: msg.channel, text: msg.text, blocks: msg.blocks, thread_ts: msg.threadTs, unfurl_links: false, ...(msg.metadata ? { metadata: msg.metadata } : {}),
    }));
    if (!res.ts || !res.channel) throw new ChatError('unavailable', 'chat.postMessage returned no ts');
    return { channel: res.channel, ts: res.ts };
  }

  async update(msg: ChatMessage & { ts: string }): Promise<void> {
    await call('chat.update', () => this.client.chat.update({ channel: msg.channel, ts: msg.ts, text: msg.text, blocks: msg.blocks }));
  }

  async findPosted(channel: string, threadTs: string | undefined, outboxId: number, opts: { since?: Date } = {}): Promise<FoundMessage | undefined> {
    // Slack returns message metadata only when asked.
    for await (const m of this.recent(channel, threadTs, opts.since, { include_all_metadata: true })) {
      if (!m.ts || !isOutboxMetadata(m.metadata, outboxId)) continue;
      // A message of several folded steps names the last one too.
      const through = outboxThrough(m.metadata, outboxId);
      return through > outboxId ? { ts: m.ts, throughId: through } : { ts: m.ts };
    }
    return undefined;
  }

  /**
   * The messages of a thread (or a channel's top level) posted since `since`, page by page, at
   * most FIND_PAGES pages: `oldest` keeps the scan to what was posted since.
   */
  private async *recent(channel: string, threadTs: string | undefined, since: Date | undefined, extra: { include_all_metadata?: boolean } = {}): AsyncGenerator<{ ts?: string; metadata?: unknown; files?: { id?: string; title?: string }[] }> {
    const window = { channel, limit: FIND_PAGE, ...extra, ...(since ? { oldest: slackTs(since), inclusive: true } : {}) };
    let cursor: string | undefined;
    for (let page = 0; page < FIND_PAGES; page++) {
      const at = cursor ? { cursor } : {};
      const res = threadTs
        ? await call('conversations.replies', () => this.client.conversations.replies({ ...window, ts: threadTs, ...at }))
        : await call('conversations.history', () => this.client.conversations.history({ ...window, ...at }));
      yield* (res.messages ?? []) as { ts?: string; metadata?: unknown; files?: { id?: string; title?: string }[] }[];
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return;
    }
  }

  async postEphemeral(msg: ChatMessage & { user: string }): Promise<void> {
    await call('chat.postEphemeral', () => this.client.chat.postEphemeral({ channel: msg.channel, user: msg.user, text: msg.text, blocks: msg.blocks, thread_ts: msg.threadTs }));
  }

  async upload(file: ChatUpload): Promise<{ fileId: string }> {
    // uploadV2: files.getUploadURLExternal, a POST of the bytes to the upload_url Slack hands out,
    // files.completeUploadExternal sharing it in the channel or thread.
    const common = {
      file: file.content, filename: file.filename, title: file.title,
      ...(file.altText ? { alt_text: file.altText } : {}),
      ...(file.initialComment ? { initial_comment: file.initialComment } : {}),
    };
    const res = await call('files.uploadV2', () => this.client.files.uploadV2(file.threadTs
      ? { ...common, channel_id: file.channel, thread_ts: file.threadTs }
      : { ...common, channel_id: file.channel }));
    const fileId = uploadedFileId(res);
    if (!fileId) throw new ChatError('unavailable', 'files.uploadV2 returned no file id');
    return { fileId };
  }

  async findUpload(channel: string, threadTs: string | undefined, title: string, opts: { since?: Date } = {}): Promise<{ fileId: string } | undefined> {
    for await (const m of this.recent(channel, threadTs, opts.since)) {
      const f = m.files?.find((x) => x.title === title && x.id);
      if (f?.id) return { fileId: f.id };
    }
    return undefined;
  }

  async ensureChannel(name: string, members: readonly string[]): Promise<string> {
    const id = await call(`creating ${name}`, () => this.findOrCreate(name));
    if (members.length > 0) {
      try {
        await this.client.conversations.invite({ channel: id, users: members.join(',') });
      } catch (err) {
        // Already a member is fine; anything else must not stop the proposal from being posted.
        const code = slackErrorOf(err);
        if (code !== 'already_in_channel') throw new ChatError('invite_failed', `inviting to ${name}: ${code ?? String(err)}`, { channelId: id, ...(code ? { slackError: code } : {}) });
      }
    }
    return id;
  }

  private async findOrCreate(name: string): Promise<string> {
    try {
      const res = await this.client.conversations.create({ name });
      if (res.channel?.id) return res.channel.id;
    } catch (err) {
      if (slackErrorOf(err) !== 'name_taken') throw err;
    }
    // The channel exists already (e.g. a second incident the same day): find it.
    for await (const page of this.client.paginate('conversations.list', { exclude_archived: true, types: 'public_channel,private_channel', limit: 200 })) {
      const found = (page as { channels?: { id?: string; name?: string }[] }).channels?.find((c) => c.name === name);
      if (found?.id) {
        await this.client.conversations.join({ channel: found.id }).catch(() => undefined);
        return found.id;
      }
    }
    throw new Error(`channel ${name} is taken but not visible to the bot`);
  }
}
