/** `conversations.*`: channels and DMs, who is in them, and their history and threads. */
import { fail, type ApiResult, type Handler } from '../api-result.js';
import { bool, idList, paginate, str, type Args } from '../args.js';
import { findThreadParent, isTopLevel, threadOf } from '../messages.js';
import { channelObject, channelSnapshot, listedMessage } from '../serialise.js';
import type { SlackMessage } from '../types.js';
import type { ChannelState, Workspace } from '../workspace.js';

/** Slack's limit on a channel name. */
const CHANNEL_NAME_MAX = 80;

export function conversationsMethods(ws: Workspace): Record<string, Handler> {
  return {
    'conversations.create': (a) => create(ws, a),
    'conversations.invite': (a) => invite(ws, a),
    'conversations.join': (a) => join(ws, a),
    'conversations.open': (a) => open(ws, a),
    'conversations.info': (a) => info(ws, a),
    'conversations.list': (a) => list(ws, a),
    'conversations.members': (a) => members(ws, a),
    'conversations.history': (a) => history(ws, a),
    'conversations.replies': (a) => replies(ws, a),
  };
}

function create(ws: Workspace, args: Args): ApiResult {
  const name = str(args, 'name') ?? '';
  if (!name) return fail('invalid_name_required');
  if (name.length > CHANNEL_NAME_MAX) return fail('invalid_name_maxlength');
  if (!/^[a-z0-9_-]+$/.test(name)) return fail('invalid_name_specials');
  if (!/[a-z0-9]/.test(name)) return fail('invalid_name_punctuation');
  if (ws.channelByName(name)) return fail('name_taken');
  const isPrivate = bool(args, 'is_private');
  const { botUserId } = ws.identity;
  const channel: ChannelState = {
    id: ws.nextId(isPrivate ? 'G' : 'C'),
    name,
    is_private: isPrivate,
    is_im: false,
    is_archived: false,
    created: ws.nowSeconds(),
    creator: botUserId,
    members: new Set([botUserId]),
    messages: [],
  };
  ws.channels.set(channel.id, channel);
  ws.changed({ kind: 'channel', channel: channelSnapshot(channel) });
  return { ok: true, channel: channelObject(ws, channel) };
}

function invite(ws: Workspace, args: Args): ApiResult {
  const channel = ws.channels.get(str(args, 'channel') ?? '');
  const denied = ws.denied(channel, 'write');
  if (denied || !channel) return fail(denied ?? 'channel_not_found');
  if (channel.is_im) return fail('method_not_supported_for_channel_type');
  const ids = idList(args, 'users');
  if (ids.length === 0) return fail('no_user');
  if (ids.length > 1000) return fail('too_many_users');
  for (const id of ids) {
    if (id === ws.identity.botUserId) return fail('cant_invite_self');
    const user = ws.users.get(id);
    if (!user || user.deleted) return fail('user_not_found');
  }
  const fresh = ids.filter((id) => !channel.members.has(id));
  if (fresh.length === 0) return fail('already_in_channel');
  for (const id of fresh) channel.members.add(id);
  ws.changed({ kind: 'channel', channel: channelSnapshot(channel) });
  return { ok: true, channel: channelObject(ws, channel) };
}

function join(ws: Workspace, args: Args): ApiResult {
  const { botUserId } = ws.identity;
  const channel = ws.channels.get(str(args, 'channel') ?? '');
  if (!channel || (channel.is_private && !channel.members.has(botUserId))) return fail('channel_not_found');
  if (channel.is_private || channel.is_im) return fail('method_not_supported_for_channel_type');
  if (channel.is_archived) return fail('is_archived');
  const already = channel.members.has(botUserId);
  channel.members.add(botUserId);
  if (!already) ws.changed({ kind: 'channel', channel: channelSnapshot(channel) });
  return { ok: true, channel: channelObject(ws, channel), ...(already ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } } : {}) };
}

function open(ws: Workspace, args: Args): ApiResult {
  const channelId = str(args, 'channel');
  if (channelId) {
    const channel = ws.channels.get(channelId);
    if (!channel || !channel.is_im) return fail('channel_not_found');
    return { ok: true, channel: bool(args, 'return_im') ? channelObject(ws, channel) : { id: channel.id } };
  }
  const ids = idList(args, 'users');
  if (ids.length === 0) return fail('users_list_not_supplied');
  // Group DMs (several users) are not emulated: refused rather than opened.
  if (ids.length > 1) return fail('not_enough_users');
  const user = ws.users.get(ids[0] ?? '');
  if (!user || user.deleted) return fail('user_not_found');
  const dm = ws.openDm(user.id);
  return { ok: true, channel: bool(args, 'return_im') ? channelObject(ws, dm) : { id: dm.id } };
}

function info(ws: Workspace, args: Args): ApiResult {
  const channel = ws.channels.get(str(args, 'channel') ?? '');
  if (!channel || ws.hiddenFromBot(channel)) return fail('channel_not_found');
  const object = channelObject(ws, channel);
  return { ok: true, channel: bool(args, 'include_num_members') ? { ...object, num_members: channel.members.size } : object };
}

function list(ws: Workspace, args: Args): ApiResult {
  const types = new Set((str(args, 'types') ?? 'public_channel').split(',').map((s) => s.trim()));
  const excludeArchived = bool(args, 'exclude_archived');
  const visible = [...ws.channels.values()].filter((c) => {
    if (ws.hiddenFromBot(c)) return false;
    if (excludeArchived && c.is_archived) return false;
    if (c.is_im) return types.has('im');
    return types.has(c.is_private ? 'private_channel' : 'public_channel');
  });
  const { page, next } = paginate(visible, args, 100, 1000);
  return { ok: true, channels: page.map((c) => channelObject(ws, c)), response_metadata: { next_cursor: next } };
}

function members(ws: Workspace, args: Args): ApiResult {
  const channel = ws.channels.get(str(args, 'channel') ?? '');
  if (!channel || ws.hiddenFromBot(channel)) return fail('channel_not_found');
  const { page, next } = paginate([...channel.members], args, 100, 1000);
  return { ok: true, members: page, response_metadata: { next_cursor: next } };
}

/** Top-level messages, newest first, between `oldest` and `latest` (exclusive unless `inclusive`). */
function history(ws: Workspace, args: Args): ApiResult {
  const channel = ws.channels.get(str(args, 'channel') ?? '');
  const denied = ws.denied(channel, 'read');
  if (denied || !channel) return fail(denied ?? 'channel_not_found');
  const inclusive = bool(args, 'inclusive');
  const oldest = str(args, 'oldest');
  const latest = str(args, 'latest');
  const inRange = (m: SlackMessage): boolean => {
    const t = Number(m.ts);
    if (oldest !== undefined && (inclusive ? t < Number(oldest) : t <= Number(oldest))) return false;
    if (latest !== undefined && (inclusive ? t > Number(latest) : t >= Number(latest))) return false;
    return true;
  };
  const shown = channel.messages.filter((m) => isTopLevel(m) && inRange(m)).reverse();
  const { page, next } = paginate(shown, args, 100, 999);
  return {
    ok: true,
    messages: page.map((m) => listedMessage(m, bool(args, 'include_all_metadata'))),
    has_more: next !== '',
    pin_count: 0,
    response_metadata: { next_cursor: next },
  };
}

function replies(ws: Workspace, args: Args): ApiResult {
  const channel = ws.channels.get(str(args, 'channel') ?? '');
  const denied = ws.denied(channel, 'read');
  if (denied || !channel) return fail(denied ?? 'channel_not_found');
  const ts = str(args, 'ts');
  const parent = ts ? findThreadParent(channel, ts) : undefined;
  if (!parent) return fail('thread_not_found');
  const { page, next } = paginate(threadOf(channel, parent), args, 1000, 1000);
  return { ok: true, messages: page.map((m) => listedMessage(m, bool(args, 'include_all_metadata'))), has_more: next !== '', response_metadata: { next_cursor: next } };
}
