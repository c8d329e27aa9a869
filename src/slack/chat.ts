import type { WebClient } from '@slack/web-api';
import type { Chat, ChatMessage } from '../ports/chat.js';

/** The Chat port over Slack's Web API. */
export class SlackChat implements Chat {
  constructor(private readonly client: WebClient) {}

  async post(msg: ChatMessage): Promise<{ channel: string; ts: string }> {
    const res = await this.client.chat.postMessage({ channel: msg.channel, text: msg.text, blocks: msg.blocks, thread_ts: msg.threadTs, unfurl_links: false });
    if (!res.ts || !res.channel) throw new Error('chat.postMessage returned no ts');
    return { channel: res.channel, ts: res.ts };
  }

  async update(msg: ChatMessage & { ts: string }): Promise<void> {
    await this.client.chat.update({ channel: msg.channel, ts: msg.ts, text: msg.text, blocks: msg.blocks });
  }

  async postEphemeral(msg: ChatMessage & { user: string }): Promise<void> {
    await this.client.chat.postEphemeral({ channel: msg.channel, user: msg.user, text: msg.text, blocks: msg.blocks, thread_ts: msg.threadTs });
  }

  async ensureChannel(name: string, members: readonly string[]): Promise<string> {
    const id = await this.findOrCreate(name);
    if (members.length > 0) {
      try {
        await this.client.conversations.invite({ channel: id, users: members.join(',') });
      } catch (err) {
        // Already a member is fine; anything else must not stop the proposal from being posted.
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code !== 'already_in_channel') throw Object.assign(new Error(`inviting to ${name}: ${code ?? String(err)}`), { cause: err, channelId: id });
      }
    }
    return id;
  }

  private async findOrCreate(name: string): Promise<string> {
    try {
      const res = await this.client.conversations.create({ name });
      if (res.channel?.id) return res.channel.id;
    } catch (err) {
      if ((err as { data?: { error?: string } }).data?.error !== 'name_taken') throw err;
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
