/**
 * The workspace model: users, channels (DMs included) and their messages, user groups,
 * ephemerals, opened views, uploaded files, and the trigger ids and response_urls handed out.
 * Everything the Web API methods read and change lives here; what changes is announced
 * through `changed` so `waitFor` and subscribers see it.
 */
import type { SlackErrorCode } from './api-result.js';
import type { Identity, Settings } from './options.js';
import { channelSnapshot } from './serialise.js';
import type { ChangeEvent, EmulatedUser, EmulatedUsergroup, EphemeralMessage, OpenedView, SlackMessage, UploadedFile } from './types.js';

export interface ChannelState {
  id: string;
  name: string;
  is_private: boolean;
  is_im: boolean;
  is_archived: boolean;
  created: number;
  creator: string;
  members: Set<string>;
  user?: string;
  messages: SlackMessage[];
}

export interface TriggerState {
  user?: string;
  issuedAt: number;
  used: boolean;
}

export interface ResponseUrlState {
  channel: string;
  user: string;
  messageTs?: string;
  isEphemeral: boolean;
  issuedAt: number;
  uses: number;
}

export class Workspace {
  readonly users = new Map<string, EmulatedUser>();
  readonly channels = new Map<string, ChannelState>();
  readonly usergroups = new Map<string, EmulatedUsergroup>();
  readonly ephemerals: EphemeralMessage[] = [];
  readonly views: OpenedView[] = [];
  readonly files = new Map<string, UploadedFile>();
  readonly triggers = new Map<string, TriggerState>();
  readonly responseUrls = new Map<string, ResponseUrlState>();
  /** `http://host:port` while the server listens: upload, file and response URLs point at it. */
  origin: string | undefined;

  /** One counter for every minted id, so ids never collide across kinds. */
  private seq = 0;
  private lastTsMicros = 0;

  constructor(
    readonly identity: Identity,
    readonly settings: Settings,
    private readonly onChange: (event: ChangeEvent) => void,
  ) {
    const { botUserId, botName } = identity;
    this.users.set(botUserId, { id: botUserId, name: botName, real_name: botName, is_bot: true, deleted: false, tz: 'Etc/UTC' });
  }

  changed(event: ChangeEvent): void {
    this.onChange(event);
  }

  requireOrigin(): string {
    if (!this.origin) throw new Error('SlackEmulator is not started: call start() first');
    return this.origin;
  }

  // ------------------------------------------------------------------------------------------
  // Time and ids

  nowMs(): number {
    return this.settings.clock.now().getTime();
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** `"<unix seconds>.<6 digits>"`, strictly increasing even when the clock stands still. */
  nextTs(): string {
    const micros = Math.max(this.nowMs() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  nextId(prefix: string): string {
    return `${prefix}${this.nextSeq().toString(36).toUpperCase().padStart(9, '0')}`;
  }

  /** The block_id / action_id Slack fills in. */
  shortId(): string {
    return `e${this.nextSeq().toString(36)}`;
  }

  // ------------------------------------------------------------------------------------------
  // Channels as the bot sees them

  channelByName(name: string): ChannelState | undefined {
    return [...this.channels.values()].find((c) => !c.is_im && c.name === name);
  }

  /** A channel id, a public channel's name, or (with `allowUser`) a user id meaning their DM. */
  resolveChannel(ref: string | undefined, options: { allowUser?: boolean } = {}): ChannelState | undefined {
    if (!ref) return undefined;
    const byId = this.channels.get(ref);
    if (byId) return byId;
    if (options.allowUser) {
      const user = this.users.get(ref);
      if (user && !user.deleted && user.id !== this.identity.botUserId) return this.openDm(user.id);
    }
    const byName = this.channelByName(ref.replace(/^#/, ''));
    return byName && !byName.is_private ? byName : undefined;
  }

  /** The bot's DM with `userId`, opened on first use. */
  openDm(userId: string): ChannelState {
    const existing = [...this.channels.values()].find((c) => c.is_im && c.user === userId);
    if (existing) return existing;
    const { botUserId } = this.identity;
    const dm: ChannelState = {
      id: this.nextId('D'),
      name: userId,
      is_private: true,
      is_im: true,
      is_archived: false,
      created: this.nowSeconds(),
      creator: botUserId,
      members: new Set([botUserId, userId]),
      user: userId,
      messages: [],
    };
    this.channels.set(dm.id, dm);
    this.changed({ kind: 'channel', channel: channelSnapshot(dm) });
    return dm;
  }

  /** Private channels and DMs the bot is not in do not exist as far as the bot can tell. */
  hiddenFromBot(channel: ChannelState): boolean {
    return (channel.is_private || channel.is_im) && !channel.members.has(this.identity.botUserId);
  }

  /** The error Slack gives the bot for this channel, if any. */
  denied(channel: ChannelState | undefined, mode: 'read' | 'write'): SlackErrorCode | undefined {
    if (!channel || this.hiddenFromBot(channel)) return 'channel_not_found';
    const member = channel.members.has(this.identity.botUserId);
    if (mode === 'write') {
      if (channel.is_archived) return 'is_archived';
      if (!member && !this.settings.chatWritePublic) return 'not_in_channel';
      return undefined;
    }
    return member ? undefined : 'not_in_channel';
  }
}
