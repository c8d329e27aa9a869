/**
 * How the workspace appears: as Slack renders it in Web API answers (`channelObject`,
 * `userObject`, …) and as the emulator hands it to tests (`channelSnapshot`, copies).
 */
import type { EmulatedChannel, EmulatedUser, EmulatedUsergroup, SlackMessage, UploadedFile } from './types.js';
import type { ChannelState, Workspace } from './workspace.js';

/** The seeding/inspection view of a channel: members as an array, no messages. */
export function channelSnapshot(c: ChannelState): EmulatedChannel {
  return {
    id: c.id,
    name: c.name,
    is_private: c.is_private,
    is_im: c.is_im,
    is_archived: c.is_archived,
    created: c.created,
    creator: c.creator,
    members: [...c.members],
    ...(c.user !== undefined ? { user: c.user } : {}),
  };
}

/** A conversation object as `conversations.*` return it. */
export function channelObject(ws: Workspace, c: ChannelState): Record<string, unknown> {
  if (c.is_im) {
    return { id: c.id, created: c.created, is_im: true, is_org_shared: false, user: c.user, is_user_deleted: false, priority: 0 };
  }
  const topic = { value: '', creator: '', last_set: 0 };
  return {
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    is_channel: !c.is_private,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: c.is_private,
    created: c.created,
    creator: c.creator,
    is_archived: c.is_archived,
    is_general: false,
    unlinked: 0,
    is_shared: false,
    is_ext_shared: false,
    is_org_shared: false,
    is_pending_ext_shared: false,
    is_member: c.members.has(ws.identity.botUserId),
    context_team_id: ws.identity.teamId,
    topic,
    purpose: { ...topic },
    previous_names: [],
  };
}

/** A user object as `users.*` return it. */
export function userObject(ws: Workspace, u: EmulatedUser): Record<string, unknown> {
  const { teamId, botUserId, botId, appId } = ws.identity;
  return {
    id: u.id,
    team_id: teamId,
    name: u.name,
    deleted: u.deleted,
    real_name: u.real_name,
    tz: u.tz,
    tz_label: u.tz,
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: u.is_bot,
    is_app_user: false,
    updated: ws.nowSeconds(),
    profile: {
      real_name: u.real_name,
      real_name_normalized: u.real_name,
      display_name: u.name,
      display_name_normalized: u.name,
      team: teamId,
      ...(u.email !== undefined ? { email: u.email } : {}),
      ...(u.id === botUserId ? { bot_id: botId, api_app_id: appId } : {}),
    },
  };
}

/** A user group as `usergroups.list` returns it. */
export function usergroupObject(ws: Workspace, g: EmulatedUsergroup, includeUsers: boolean): Record<string, unknown> {
  return {
    id: g.id,
    team_id: ws.identity.teamId,
    is_usergroup: true,
    name: g.name,
    handle: g.handle,
    date_delete: g.enabled ? 0 : ws.nowSeconds(),
    user_count: g.users.length,
    ...(includeUsers ? { users: [...g.users] } : {}),
  };
}

/** A file object as `files.completeUploadExternal` returns it and messages carry it. */
const MIME: Record<string, string> = { png: 'image/png', md: 'text/markdown', txt: 'text/plain', json: 'application/json', svg: 'image/svg+xml' };

/** The media type Slack reports for a file, from its extension. */
export function mimetypeOf(filename: string): string {
  return MIME[filename.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

export function fileObject(ws: Workspace, f: UploadedFile): Record<string, unknown> {
  const origin = ws.requireOrigin();
  const { botUserId, teamDomain } = ws.identity;
  return {
    id: f.id,
    created: ws.nowSeconds(),
    timestamp: ws.nowSeconds(),
    name: f.filename,
    title: f.title,
    mimetype: mimetypeOf(f.filename),
    filetype: f.filename.includes('.') ? (f.filename.split('.').pop() ?? 'binary') : 'binary',
    user: botUserId,
    size: f.content?.length ?? f.length,
    url_private: `${origin}/files/${f.id}/${encodeURIComponent(f.filename)}`,
    permalink: `https://${teamDomain}.slack.com/files/${botUserId}/${f.id}/${encodeURIComponent(f.filename)}`,
    channels: [...f.channels],
  };
}

/** A message as history, replies and chat.* echo it: the channel is implied by the request. */
export function withoutChannel(m: SlackMessage): Omit<SlackMessage, 'channel'> {
  const { channel: _channel, ...rest } = structuredClone(m);
  return rest;
}

/** A message as `conversations.history` / `.replies` list it: metadata only when `include_all_metadata` asks. */
export function listedMessage(m: SlackMessage, includeMetadata: boolean): Omit<SlackMessage, 'channel'> {
  const listed = withoutChannel(m);
  if (!includeMetadata) delete listed.metadata;
  return listed;
}

/** The copy a `file` change event carries; its content is the stored buffer, not a copy. */
export function fileEventCopy(f: UploadedFile): UploadedFile {
  return { ...f, channels: [...f.channels] };
}
