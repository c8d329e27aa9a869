import type { KnownBlock } from '@slack/types';

/** Slack message metadata (event_type, event_payload), read back with `include_all_metadata`. */
export interface ChatMetadata {
  event_type: string;
  event_payload: Record<string, string | number | boolean>;
}

/** The metadata event the outbox tags its messages with, carrying the outbox item's id. */
export const OUTBOX_EVENT_TYPE = 'backstop_outbox';

/** `throughId`: the last outbox item a message of several folded steps carries (the first is `outboxId`). */
export function outboxMetadata(outboxId: number, throughId?: number): ChatMetadata {
  const payload: Record<string, number> = { outbox_id: outboxId };
  if (throughId !== undefined && throughId !== outboxId) payload.through_outbox_id = throughId;
  return { event_type: OUTBOX_EVENT_TYPE, event_payload: payload };
}

/** The last outbox item a found message carries: its own id unless it folded several. */
export function outboxThrough(metadata: unknown, outboxId: number): number {
  const through = (metadata as { event_payload?: { through_outbox_id?: unknown } } | null | undefined)?.event_payload?.through_outbox_id;
  return typeof through === 'number' || (typeof through === 'string' && /^\d+$/.test(through)) ? Math.max(Number(through), outboxId) : outboxId;
}

/** Whether `metadata` (as Slack returns it on a message) names outbox item `outboxId`. */
export function isOutboxMetadata(metadata: unknown, outboxId: number): boolean {
  const m = metadata as { event_type?: unknown; event_payload?: { outbox_id?: unknown } } | null | undefined;
  return m?.event_type === OUTBOX_EVENT_TYPE && m.event_payload?.outbox_id !== undefined && Number(m.event_payload.outbox_id) === outboxId;
}

/** A message found by its outbox id; `throughId` is the last outbox item it carries (a fold of several steps). */
export interface FoundMessage {
  ts: string;
  throughId?: number;
}

export interface ChatMessage {
  channel: string;
  text: string;
  blocks?: KnownBlock[];
  threadTs?: string;
  /** Posted with the message (chat.postMessage only). */
  metadata?: ChatMetadata;
}

/**
 * Why a chat call failed, in a closed set the callers act on: wait `retryAfterMs` when rate
 * limited, post anyway into `channelId` when only the invitation failed, retry later when the
 * service is unavailable, give up when Slack refused the request itself.
 */
export type ChatErrorCode = 'rate_limited' | 'invite_failed' | 'unavailable' | 'refused';

export class ChatError extends Error {
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    readonly details: { retryAfterMs?: number; channelId?: string; slackError?: string } = {},
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

/** The subset of Slack the use cases need; the Slack adapter implements it over the Web API. */
export interface Chat {
  post(msg: ChatMessage): Promise<{ channel: string; ts: string }>;
  update(msg: ChatMessage & { ts: string }): Promise<void>;
  /**
   * The message outbox item `outboxId` was posted as (tagged with `outboxMetadata`), among the
   * recent messages of the thread `threadTs` or, without one, the channel's top level; `since`
   * bounds how far back to look (the item was not posted before it).
   */
  findPosted(channel: string, threadTs: string | undefined, outboxId: number, opts?: { since?: Date }): Promise<FoundMessage | undefined>;
  postEphemeral(msg: ChatMessage & { user: string }): Promise<void>;
  /** Uploads a file and shares it in the channel (or thread); returns Slack's file id. */
  upload(file: ChatUpload): Promise<{ fileId: string }>;
  /**
   * A file titled `title` already shared in the thread (or the channel's top level) since
   * `since`: files carry no message metadata, so the title is what an earlier upload is known by.
   */
  findUpload(channel: string, threadTs: string | undefined, title: string, opts?: { since?: Date }): Promise<{ fileId: string } | undefined>;
  /** Finds or creates a channel by name, invites `members` (so they see it and its ephemerals), returns its id. */
  ensureChannel(name: string, members: readonly string[]): Promise<string>;
}

/** A file to share in a channel or thread (Slack `files.uploadV2`). */
export interface ChatUpload {
  channel: string;
  threadTs?: string;
  filename: string;
  /** Shown above the file; also how an earlier upload of the same file is recognised. */
  title: string;
  content: Buffer;
  /** Alternative text for images (screen readers, clients that cannot show them). */
  altText?: string;
  /** A line posted with the file. */
  initialComment?: string;
}

/** Resolves Slack user groups to member ids (approvers may be configured as groups). */
export interface Directory {
  groupMembers(groupId: string): Promise<string[]>;
  /** The user's e-mail (Slack `users.info`, scope users:read.email), or null when hidden. */
  userEmail(userId: string): Promise<string | null>;
  /**
   * How people read this user's name (Slack display name, else real name), cached; the id itself
   * when Slack cannot say. Never throws: a name is a courtesy, not a reason to fail.
   */
  displayName(userId: string): Promise<string>;
}
