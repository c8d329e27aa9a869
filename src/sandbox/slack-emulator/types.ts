/** The emulator's public types: what tests and the sandbox seed, inspect and subscribe to. */
import type { Clock } from '../../ports/clock.js';
import type { SocketEvent } from './socket-mode/server.js';

export interface SlackEmulatorOptions {
  /** The bot token every request must carry (default `xoxb-backstop-emulator`). */
  botToken?: string;
  /** The app-level token `apps.connections.open` takes (default `xapp-1-A0BACKSTOP-emulator`). */
  appToken?: string;
  teamId?: string;
  teamDomain?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  botName?: string;
  /** Wall clock used for message timestamps and expiries (default: the system clock). */
  clock?: Pick<Clock, 'now'>;
  /** Whether the bot has `chat:write.public` and may post to public channels it is not in (default false). */
  chatWritePublic?: boolean;
  /** User groups need a paid plan; false makes `usergroups.*` answer `plan_upgrade_required` (default true). */
  usergroupsEnabled?: boolean;
  /** `views.open` accepts only trigger ids minted by `triggerId()`, once, within `triggerTtlMs` (default true). */
  strictTriggers?: boolean;
  /** Trigger id lifetime (Slack: 3 s). */
  triggerTtlMs?: number;
  /** A response_url takes this many posts (Slack: 5)… */
  responseUrlMaxUses?: number;
  /** …within this long (Slack: 30 minutes). */
  responseUrlTtlMs?: number;
  /** How long a Socket Mode envelope waits for its ack before it is delivered again (Slack: 3 s). */
  socketAckTimeoutMs?: number;
}

export interface EmulatedUser {
  id: string;
  name: string;
  real_name: string;
  email?: string;
  is_bot: boolean;
  deleted: boolean;
  tz: string;
}

export interface EmulatedChannel {
  id: string;
  name: string;
  is_private: boolean;
  is_im: boolean;
  is_archived: boolean;
  created: number;
  creator: string;
  members: string[];
  /** For a DM: the user on the other side. */
  user?: string;
}

export interface EmulatedUsergroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
  enabled: boolean;
}

/** Slack message metadata, as `chat.postMessage` takes it and messages carry it. */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface SlackMessage {
  type: 'message';
  subtype?: string;
  ts: string;
  channel: string;
  team: string;
  text: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  bot_profile?: { id: string; app_id: string; name: string; deleted: boolean; team_id: string };
  blocks?: unknown[];
  attachments?: unknown[];
  files?: unknown[];
  /** Posted with `metadata`; history and replies return it only with `include_all_metadata`. */
  metadata?: MessageMetadata;
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
}

export interface EphemeralMessage {
  channel: string;
  /** The only user who sees it. */
  user: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  via: 'chat.postEphemeral' | 'response_url';
  /** Set when a response_url `replace_original` overwrote it. */
  replaced?: boolean;
}

export interface ApiCall {
  /** Web API method, or `response_url` / `file_upload` for those endpoints. */
  method: string;
  /** Arguments with JSON fields (blocks, view, …) decoded and the token removed. */
  args: Record<string, unknown>;
  time: Date;
  status: number;
  ok: boolean;
  error?: string;
}

export interface OpenedView {
  id: string;
  trigger_id: string;
  user?: string;
  view: Record<string, unknown>;
}

export interface UploadedFile {
  id: string;
  filename: string;
  title: string;
  length: number;
  content: Buffer | null;
  channels: string[];
  completed: boolean;
}

export type Fault = { status: 429; retryAfter?: number } | { status: 500 } | { error: string };

export type ChangeEvent =
  | { kind: 'call'; call: ApiCall }
  | { kind: 'message'; channel: string; message: SlackMessage }
  | { kind: 'message_changed'; channel: string; message: SlackMessage }
  | { kind: 'message_deleted'; channel: string; ts: string }
  | { kind: 'ephemeral'; ephemeral: EphemeralMessage }
  | { kind: 'channel'; channel: EmulatedChannel }
  | { kind: 'view'; view: OpenedView }
  | { kind: 'file'; file: UploadedFile }
  | { kind: 'socket'; event: SocketEvent };

export interface AddUserInput {
  id?: string;
  name: string;
  real_name?: string;
  email?: string;
  is_bot?: boolean;
  deleted?: boolean;
  tz?: string;
}

export interface AddChannelInput {
  id?: string;
  name: string;
  is_private?: boolean;
  is_archived?: boolean;
  /** Human members (user ids that must already exist). */
  members?: string[];
  /** Whether the bot is in the channel (default true). */
  botMember?: boolean;
}

export interface AddUsergroupInput {
  id?: string;
  handle: string;
  name?: string;
  users: string[];
  enabled?: boolean;
}

/** A message from a human, seeded with `addMessage`. */
export interface AddMessageInput {
  user: string;
  text: string;
  blocks?: unknown[];
  /** Posts it as a reply in this thread. */
  thread_ts?: string;
}

export interface ResponseUrlOptions {
  /** The message the interaction came from: `replace_original` / `delete_original` act on it. */
  messageTs?: string;
  /** Whether that message is an ephemeral one shown to `userId`. */
  isEphemeral?: boolean;
}
