/** `chat.*`: what the bot posts, edits and deletes, and the ephemerals it shows one user. */
import { fail, type ApiResult, type Handler, type SlackErrorCode } from '../api-result.js';
import { bool, isRecord, jsonArg, str, type Args } from '../args.js';
import { isEmpty, messageContent } from '../message-content.js';
import { addEphemeral, appendMessage, botAuthored, findThreadParent, removeMessage, withGeneratedIds } from '../messages.js';
import { withoutChannel } from '../serialise.js';
import type { MessageMetadata, SlackMessage } from '../types.js';
import type { ChannelState, Workspace } from '../workspace.js';

export function chatMethods(ws: Workspace): Record<string, Handler> {
  return {
    'chat.postMessage': (a) => postMessage(ws, a),
    'chat.update': (a) => update(ws, a),
    'chat.delete': (a) => deleteMessage(ws, a),
    'chat.postEphemeral': (a) => postEphemeral(ws, a),
  };
}

function postMessage(ws: Workspace, args: Args): ApiResult {
  const channel = ws.resolveChannel(str(args, 'channel'), { allowUser: true });
  const denied = ws.denied(channel, 'write');
  if (denied || !channel) return fail(denied ?? 'channel_not_found');
  const content = messageContent(args);
  if ('error' in content) return content;
  if (isEmpty(content)) return fail('no_text');
  let parent: SlackMessage | undefined;
  const threadTs = str(args, 'thread_ts');
  if (threadTs) {
    parent = findThreadParent(channel, threadTs);
    if (!parent) return fail('thread_not_found');
  }
  const parsed = messageMetadata(args);
  if ('refused' in parsed) return parsed.refused;
  const { metadata } = parsed;
  const message = appendMessage(
    ws,
    channel,
    {
      ...botAuthored(ws, content.text ?? '', content),
      ...(metadata ? { metadata } : {}),
      ...(parent && bool(args, 'reply_broadcast') ? { subtype: 'thread_broadcast' } : {}),
    },
    parent,
  );
  return { ok: true, channel: channel.id, ts: message.ts, message: withoutChannel(message) };
}

/** `metadata` as Slack takes it: JSON with a string `event_type` and an object `event_payload`. */
function messageMetadata(args: Args): { metadata?: MessageMetadata } | { refused: ApiResult } {
  const raw = jsonArg(args, 'metadata');
  if (raw.kind === 'absent') return {};
  if (raw.kind === 'bad' || !isRecord(raw.value)) return { refused: fail('invalid_metadata_format') };
  const { event_type: eventType, event_payload: eventPayload } = raw.value;
  if (typeof eventType !== 'string' || eventType === '' || !isRecord(eventPayload)) return { refused: fail('invalid_metadata_schema') };
  return { metadata: { event_type: eventType, event_payload: structuredClone(eventPayload) } };
}

/** The bot's own message that `chat.update` / `chat.delete` name, or Slack's error for why not. */
function ownMessage(ws: Workspace, args: Args, notOwn: SlackErrorCode): { channel: ChannelState; message: SlackMessage } | ApiResult {
  const channel = ws.channels.get(str(args, 'channel') ?? '');
  const denied = ws.denied(channel, 'write');
  if (denied || !channel) return fail(denied ?? 'channel_not_found');
  const ts = str(args, 'ts');
  const message = ts ? channel.messages.find((m) => m.ts === ts) : undefined;
  if (!message) return fail('message_not_found');
  if (message.bot_id !== ws.identity.botId) return fail(notOwn);
  return { channel, message };
}

function update(ws: Workspace, args: Args): ApiResult {
  const found = ownMessage(ws, args, 'cant_update_message');
  if ('ok' in found) return found;
  const { channel, message } = found;
  const content = messageContent(args);
  if ('error' in content) return content;
  if (content.text === undefined && content.blocks === undefined && content.attachments === undefined) return fail('no_text');
  if (content.text !== undefined) message.text = content.text;
  // An empty list clears blocks or attachments; leaving the argument out keeps them.
  if (content.blocks !== undefined) {
    if (content.blocks.length > 0) message.blocks = withGeneratedIds(ws, content.blocks);
    else delete message.blocks;
  }
  if (content.attachments !== undefined) {
    if (content.attachments.length > 0) message.attachments = content.attachments;
    else delete message.attachments;
  }
  message.edited = { user: ws.identity.botUserId, ts: ws.nextTs() };
  ws.changed({ kind: 'message_changed', channel: channel.id, message: structuredClone(message) });
  return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: withoutChannel(message) };
}

function deleteMessage(ws: Workspace, args: Args): ApiResult {
  const found = ownMessage(ws, args, 'cant_delete_message');
  if ('ok' in found) return found;
  const { channel, message } = found;
  removeMessage(ws, channel, message.ts);
  return { ok: true, channel: channel.id, ts: message.ts };
}

function postEphemeral(ws: Workspace, args: Args): ApiResult {
  const channel = ws.resolveChannel(str(args, 'channel'), { allowUser: true });
  const denied = ws.denied(channel, 'write');
  if (denied || !channel) return fail(denied ?? 'channel_not_found');
  const userId = str(args, 'user');
  const user = userId ? ws.users.get(userId) : undefined;
  if (!user) return fail('user_not_found');
  if (!channel.members.has(user.id)) return fail('user_not_in_channel');
  const content = messageContent(args);
  if ('error' in content) return content;
  if (isEmpty(content)) return fail('no_text');
  const threadTs = str(args, 'thread_ts');
  if (threadTs && !findThreadParent(channel, threadTs)) return fail('thread_not_found');
  const ts = ws.nextTs();
  addEphemeral(ws, {
    channel: channel.id,
    user: user.id,
    ts,
    text: content.text ?? '',
    via: 'chat.postEphemeral',
    ...(content.blocks ? { blocks: withGeneratedIds(ws, content.blocks) } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  return { ok: true, message_ts: ts };
}
