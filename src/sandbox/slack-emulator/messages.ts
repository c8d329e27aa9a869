/**
 * Messages and threads in the workspace: posting (with Slack's thread bookkeeping on the
 * parent), deleting (with the tombstone a thread leaves), ephemerals, and what Slack adds to
 * what the bot sent (bot profile, block and action ids).
 */
import { isRecord } from './args.js';
import type { EphemeralMessage, SlackMessage } from './types.js';
import type { ChannelState, Workspace } from './workspace.js';

/** Whether the channel itself shows the message (a reply shows only when broadcast). */
export function isTopLevel(m: SlackMessage): boolean {
  return m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast';
}

/** The parent of the thread `ts` belongs to (itself if it is top-level). */
export function findThreadParent(channel: ChannelState, ts: string): SlackMessage | undefined {
  const message = channel.messages.find((m) => m.ts === ts);
  if (!message) return undefined;
  if (message.thread_ts !== undefined && message.thread_ts !== message.ts) {
    return channel.messages.find((m) => m.ts === message.thread_ts);
  }
  return message;
}

/** The parent, then its replies in order. */
export function threadOf(channel: ChannelState, parent: SlackMessage): SlackMessage[] {
  return [parent, ...channel.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts)];
}

/** The fields Slack sets on a message the bot posts. */
export function botAuthored(ws: Workspace, text: string, content: { blocks?: unknown[]; attachments?: unknown[] }): Partial<SlackMessage> {
  const { botUserId, botId, appId, botName, teamId } = ws.identity;
  return {
    user: botUserId,
    bot_id: botId,
    app_id: appId,
    text,
    bot_profile: { id: botId, app_id: appId, name: botName, deleted: false, team_id: teamId },
    ...(content.blocks && content.blocks.length > 0 ? { blocks: withGeneratedIds(ws, content.blocks) } : {}),
    ...(content.attachments && content.attachments.length > 0 ? { attachments: content.attachments } : {}),
  };
}

/** Posts a message (a reply when `parent` is given) and returns the stored message itself. */
export function appendMessage(ws: Workspace, channel: ChannelState, fields: Partial<SlackMessage>, parent?: SlackMessage): SlackMessage {
  const ts = ws.nextTs();
  const message: SlackMessage = { type: 'message', text: '', ...fields, ts, channel: channel.id, team: ws.identity.teamId };
  if (parent) {
    message.thread_ts = parent.ts;
    if (parent.user !== undefined) message.parent_user_id = parent.user;
    const author = message.user ?? message.bot_id ?? 'unknown';
    const replyUsers = new Set(parent.reply_users ?? []);
    replyUsers.add(author);
    parent.thread_ts = parent.ts;
    parent.reply_count = (parent.reply_count ?? 0) + 1;
    parent.reply_users = [...replyUsers];
    parent.reply_users_count = replyUsers.size;
    parent.latest_reply = ts;
  }
  channel.messages.push(message);
  ws.changed({ kind: 'message', channel: channel.id, message: structuredClone(message) });
  if (parent) ws.changed({ kind: 'message_changed', channel: channel.id, message: structuredClone(parent) });
  return message;
}

export function removeMessage(ws: Workspace, channel: ChannelState, ts: string): void {
  const index = channel.messages.findIndex((m) => m.ts === ts);
  const message = channel.messages[index];
  if (!message) return;
  const isReply = message.thread_ts !== undefined && message.thread_ts !== message.ts;
  if (!isReply && (message.reply_count ?? 0) > 0) {
    // Slack keeps a tombstone so the thread survives its parent.
    const tombstone: SlackMessage = { type: 'message', subtype: 'tombstone', ts: message.ts, channel: channel.id, team: ws.identity.teamId, text: 'This message was deleted.' };
    for (const key of ['thread_ts', 'reply_count', 'reply_users', 'reply_users_count', 'latest_reply'] as const) {
      if (message[key] !== undefined) Object.assign(tombstone, { [key]: message[key] });
    }
    channel.messages[index] = tombstone;
  } else {
    channel.messages.splice(index, 1);
    if (isReply) {
      const parent = channel.messages.find((m) => m.ts === message.thread_ts);
      if (parent) recountReplies(channel, parent);
    }
  }
  ws.changed({ kind: 'message_deleted', channel: channel.id, ts });
}

/** After a reply is deleted; a parent left with none is an ordinary message again. */
function recountReplies(channel: ChannelState, parent: SlackMessage): void {
  const replies = channel.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  parent.reply_count = replies.length;
  parent.reply_users = [...new Set(replies.map((r) => r.user ?? r.bot_id ?? 'unknown'))];
  parent.reply_users_count = parent.reply_users.length;
  const last = replies[replies.length - 1];
  if (last) parent.latest_reply = last.ts;
  else {
    delete parent.latest_reply;
    delete parent.reply_count;
    delete parent.reply_users;
    delete parent.reply_users_count;
    delete parent.thread_ts;
  }
}

export function addEphemeral(ws: Workspace, ephemeral: EphemeralMessage): void {
  ws.ephemerals.push(ephemeral);
  ws.changed({ kind: 'ephemeral', ephemeral: structuredClone(ephemeral) });
}

/** Slack fills in a block_id for every block and an action_id for every element lacking one. */
export function withGeneratedIds(ws: Workspace, blocks: unknown[]): unknown[] {
  const fill = (el: unknown): unknown => {
    if (!isRecord(el) || typeof el.type !== 'string' || el.type === 'image') return el;
    return el.action_id === undefined ? { ...el, action_id: ws.shortId() } : el;
  };
  return structuredClone(blocks).map((block) => {
    if (!isRecord(block)) return block;
    const out: Record<string, unknown> = { ...block };
    if (out.block_id === undefined) out.block_id = ws.shortId();
    if (out.type === 'actions' && Array.isArray(out.elements)) out.elements = out.elements.map(fill);
    if (out.type === 'section' && out.accessory !== undefined) out.accessory = fill(out.accessory);
    if (out.type === 'input' && out.element !== undefined) out.element = fill(out.element);
    return out;
  });
}
