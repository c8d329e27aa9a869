import type { KnownBlock } from '@slack/types';

export interface ChatMessage {
  channel: string;
  text: string;
  blocks?: KnownBlock[];
  threadTs?: string;
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
