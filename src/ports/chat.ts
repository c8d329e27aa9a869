import type { KnownBlock } from '@slack/types';

export interface ChatMessage {
  channel: string;
  text: string;
  blocks?: KnownBlock[];
  threadTs?: string;
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
  postEphemeral(msg: ChatMessage & { user: string }): Promise<void>;
  /** Finds or creates a channel by name, invites `members` (so they see it and its ephemerals), returns its id. */
  ensureChannel(name: string, members: readonly string[]): Promise<string>;
}

/** Resolves Slack user groups to member ids (approvers may be configured as groups). */
export interface Directory {
  groupMembers(groupId: string): Promise<string[]>;
  /** The user's e-mail (Slack `users.info`, scope users:read.email), or null when hidden. */
  userEmail(userId: string): Promise<string | null>;
}
