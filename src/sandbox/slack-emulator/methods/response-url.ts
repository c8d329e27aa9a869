/**
 * response_url: the URL an interaction payload carries for answering it. It posts ephemerally
 * (or `in_channel`), replaces or deletes the message the interaction came from, and takes a
 * few posts within a limited time, as Slack's does.
 */
import { fail, type ApiResult } from '../api-result.js';
import { bool, isRecord, str, type Args } from '../args.js';
import { isEmpty, messageContent } from '../message-content.js';
import { addEphemeral, appendMessage, botAuthored, findThreadParent, removeMessage, withGeneratedIds } from '../messages.js';
import type { ResponseUrlOptions, SlackMessage } from '../types.js';
import type { ChannelState, ResponseUrlState, Workspace } from '../workspace.js';

/** Mints a response_url for an interaction by `userId` in `channelId` (needs a started server). */
export function mintResponseUrl(ws: Workspace, channelId: string, userId: string, options: ResponseUrlOptions = {}): string {
  const n = ws.nextSeq();
  const id = `${ws.identity.teamId}/${n}/${n.toString(16).padStart(24, '0')}`;
  ws.responseUrls.set(id, {
    channel: channelId,
    user: userId,
    isEphemeral: options.isEphemeral ?? false,
    issuedAt: ws.nowMs(),
    uses: 0,
    ...(options.messageTs !== undefined ? { messageTs: options.messageTs } : {}),
  });
  return `${ws.requireOrigin()}/response/${id}`;
}

type Answer = { status: number; result: ApiResult };

const answer = (status: number, result: ApiResult): Answer => ({ status, result });

/** A POST to the response_url `id`; `payload` is the parsed body (undefined if it was not JSON). */
export function postToResponseUrl(ws: Workspace, id: string, mediaType: string, payload: unknown): Answer {
  const entry = ws.responseUrls.get(decodeURIComponent(id));
  if (!entry) return answer(404, fail('no_such_url'));
  if (ws.nowMs() - entry.issuedAt > ws.settings.responseUrlTtlMs) return answer(404, fail('expired_url'));
  if (entry.uses >= ws.settings.responseUrlMaxUses) return answer(404, fail('used_url'));
  if (mediaType !== 'application/json' || !isRecord(payload)) return answer(400, fail('invalid_payload'));
  const channel = ws.channels.get(entry.channel);
  if (!channel) return answer(404, fail('channel_not_found'));
  if (bool(payload, 'delete_original')) return deleteOriginal(ws, entry, channel);
  return post(ws, entry, channel, payload);
}

function deleteOriginal(ws: Workspace, entry: ResponseUrlState, channel: ChannelState): Answer {
  if (entry.messageTs === undefined) return answer(404, fail('message_not_found'));
  entry.uses += 1;
  if (entry.isEphemeral) {
    const i = ws.ephemerals.findIndex((e) => e.ts === entry.messageTs && e.user === entry.user);
    if (i >= 0) ws.ephemerals.splice(i, 1);
  } else {
    removeMessage(ws, channel, entry.messageTs);
  }
  return answer(200, { ok: true });
}

function post(ws: Workspace, entry: ResponseUrlState, channel: ChannelState, args: Args): Answer {
  const content = messageContent(args);
  if ('error' in content) return answer(400, content);
  const text = content.text ?? '';
  if (isEmpty(content)) return answer(400, fail('no_text'));
  entry.uses += 1;

  const threadTs = str(args, 'thread_ts');
  if (bool(args, 'replace_original') && entry.messageTs !== undefined) {
    if (entry.isEphemeral) {
      const eph = ws.ephemerals.find((e) => e.ts === entry.messageTs && e.user === entry.user);
      if (!eph) return answer(404, fail('message_not_found'));
      eph.text = text;
      eph.replaced = true;
      if (content.blocks) eph.blocks = withGeneratedIds(ws, content.blocks);
      else delete eph.blocks;
      ws.changed({ kind: 'ephemeral', ephemeral: structuredClone(eph) });
      return answer(200, { ok: true });
    }
    const message = channel.messages.find((m) => m.ts === entry.messageTs);
    if (!message) return answer(404, fail('message_not_found'));
    message.text = text;
    if (content.blocks) message.blocks = withGeneratedIds(ws, content.blocks);
    else delete message.blocks;
    if (content.attachments) message.attachments = content.attachments;
    ws.changed({ kind: 'message_changed', channel: channel.id, message: structuredClone(message) });
    return answer(200, { ok: true });
  }

  if (str(args, 'response_type') === 'in_channel') {
    let parent: SlackMessage | undefined;
    if (threadTs) {
      parent = findThreadParent(channel, threadTs);
      if (!parent) return answer(404, fail('thread_not_found'));
    }
    appendMessage(ws, channel, botAuthored(ws, text, content), parent);
    return answer(200, { ok: true });
  }
  addEphemeral(ws, {
    channel: channel.id,
    user: entry.user,
    ts: ws.nextTs(),
    text,
    via: 'response_url',
    ...(content.blocks ? { blocks: withGeneratedIds(ws, content.blocks) } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  return answer(200, { ok: true });
}
