/**
 * Seeding the workspace from a test or the sandbox. Unlike the Web API, mistakes here throw:
 * they are bugs in the test, not something the bot should see answered.
 */
import { appendMessage, findThreadParent } from './messages.js';
import { channelSnapshot } from './serialise.js';
import type { AddChannelInput, AddMessageInput, AddUserInput, AddUsergroupInput, EmulatedChannel, EmulatedUser, EmulatedUsergroup, SlackMessage } from './types.js';
import type { ChannelState, Workspace } from './workspace.js';

export function addUser(ws: Workspace, input: AddUserInput): EmulatedUser {
  const id = input.id ?? ws.nextId('U');
  if (ws.users.has(id)) throw new Error(`user ${id} already exists`);
  const user: EmulatedUser = {
    id,
    name: input.name,
    real_name: input.real_name ?? input.name,
    is_bot: input.is_bot ?? false,
    deleted: input.deleted ?? false,
    tz: input.tz ?? 'Etc/UTC',
    ...(input.email !== undefined ? { email: input.email } : {}),
  };
  ws.users.set(id, user);
  return structuredClone(user);
}

export function addChannel(ws: Workspace, input: AddChannelInput): EmulatedChannel {
  const id = input.id ?? ws.nextId(input.is_private ? 'G' : 'C');
  if (ws.channels.has(id)) throw new Error(`channel ${id} already exists`);
  if (ws.channelByName(input.name)) throw new Error(`a channel named ${input.name} already exists`);
  const members = new Set<string>();
  for (const m of input.members ?? []) {
    if (!ws.users.has(m)) throw new Error(`addChannel(${input.name}): unknown member ${m}; addUser first`);
    members.add(m);
  }
  const { botUserId } = ws.identity;
  if (input.botMember ?? true) members.add(botUserId);
  const channel: ChannelState = {
    id,
    name: input.name,
    is_private: input.is_private ?? false,
    is_im: false,
    is_archived: input.is_archived ?? false,
    created: ws.nowSeconds(),
    creator: input.members?.[0] ?? botUserId,
    members,
    messages: [],
  };
  ws.channels.set(id, channel);
  return channelSnapshot(channel);
}

export function addUsergroup(ws: Workspace, input: AddUsergroupInput): EmulatedUsergroup {
  const id = input.id ?? ws.nextId('S');
  if (ws.usergroups.has(id)) throw new Error(`usergroup ${id} already exists`);
  for (const u of input.users) {
    if (!ws.users.has(u)) throw new Error(`addUsergroup(${input.handle}): unknown user ${u}; addUser first`);
  }
  const group: EmulatedUsergroup = { id, handle: input.handle, name: input.name ?? input.handle, users: [...input.users], enabled: input.enabled ?? true };
  ws.usergroups.set(id, group);
  return structuredClone(group);
}

/** A message from a human (e.g. a reply in a thread). */
export function addMessage(ws: Workspace, channelId: string, input: AddMessageInput): SlackMessage {
  const channel = ws.channels.get(channelId);
  if (!channel) throw new Error(`addMessage: unknown channel ${channelId}`);
  if (!ws.users.has(input.user)) throw new Error(`addMessage: unknown user ${input.user}`);
  let parent: SlackMessage | undefined;
  if (input.thread_ts !== undefined) {
    parent = findThreadParent(channel, input.thread_ts);
    if (!parent) throw new Error(`addMessage: no message ${input.thread_ts} in ${channelId}`);
  }
  const message = appendMessage(ws, channel, {
    user: input.user,
    text: input.text,
    ...(input.blocks ? { blocks: input.blocks } : {}),
  }, parent);
  return structuredClone(message);
}
