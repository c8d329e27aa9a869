/**
 * A local Slack Web API emulator. The real bot (Bolt / WebClient pointed at `url` through
 * `clientOptions.slackApiUrl`) talks to it over HTTP; tests seed users and channels, inspect what
 * the bot posted, and inject faults. It answers the way Slack does, so a test fails where Slack
 * would: unknown channels, invalid blocks, missing threads, wrong tokens, rate limits.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../ports/clock.js';
import { BLOCK_KIT_LIMITS, validateBlocks, validateView } from './block-kit.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface SlackEmulatorOptions {
  /** The bot token every request must carry (default `xoxb-backstop-emulator`). */
  botToken?: string;
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
  metadata?: unknown;
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

/** The Slack error codes this emulator answers with (injected faults and api.test may add others). */
export type SlackErrorCode =
  | 'already_in_channel'
  | 'cant_delete_message'
  | 'cant_invite_self'
  | 'cant_update_message'
  | 'channel_not_found'
  | 'expired_trigger_id'
  | 'expired_url'
  | 'file_not_found'
  | 'internal_error'
  | 'invalid_arguments'
  | 'invalid_attachments'
  | 'invalid_auth'
  | 'invalid_blocks'
  | 'invalid_blocks_format'
  | 'invalid_form_data'
  | 'invalid_json'
  | 'invalid_name_maxlength'
  | 'invalid_name_punctuation'
  | 'invalid_name_required'
  | 'invalid_name_specials'
  | 'invalid_payload'
  | 'invalid_trigger_id'
  | 'is_archived'
  | 'message_not_found'
  | 'method_not_supported_for_channel_type'
  | 'msg_too_long'
  | 'name_taken'
  | 'no_such_subteam'
  | 'no_such_url'
  | 'no_text'
  | 'no_user'
  | 'not_authed'
  | 'not_enough_users'
  | 'not_found'
  | 'not_in_channel'
  | 'plan_upgrade_required'
  | 'ratelimited'
  | 'request_too_large'
  | 'thread_not_found'
  | 'too_many_users'
  | 'trigger_exchanged'
  | 'unknown_method'
  | 'used_url'
  | 'user_not_found'
  | 'user_not_in_channel'
  | 'users_list_not_supplied'
  | 'users_not_found';

export type Fault = { status: 429; retryAfter?: number } | { status: 500 } | { error: string };

export type ChangeEvent =
  | { kind: 'call'; call: ApiCall }
  | { kind: 'message'; channel: string; message: SlackMessage }
  | { kind: 'message_changed'; channel: string; message: SlackMessage }
  | { kind: 'message_deleted'; channel: string; ts: string }
  | { kind: 'ephemeral'; ephemeral: EphemeralMessage }
  | { kind: 'channel'; channel: EmulatedChannel }
  | { kind: 'view'; view: OpenedView }
  | { kind: 'file'; file: UploadedFile };

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

export interface ResponseUrlOptions {
  /** The message the interaction came from: `replace_original` / `delete_original` act on it. */
  messageTs?: string;
  /** Whether that message is an ephemeral one shown to `userId`. */
  isEphemeral?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Internal types

type Args = Record<string, unknown>;
type ApiResult = { ok: boolean; error?: string; [key: string]: unknown };
type Handler = (args: Args) => ApiResult;

interface ChannelState {
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

interface TriggerState {
  user?: string;
  issuedAt: number;
  used: boolean;
}

interface ResponseUrlState {
  channel: string;
  user: string;
  messageTs?: string;
  isEphemeral: boolean;
  issuedAt: number;
  uses: number;
}

interface FaultState {
  fault: Fault;
  remaining: number;
}

type JsonArg = { kind: 'absent' } | { kind: 'ok'; value: unknown } | { kind: 'bad' };

const JSON_FIELDS = ['blocks', 'attachments', 'view', 'files', 'metadata'] as const;
const BODY_LIMIT = 20 * 1024 * 1024;
const CHANNEL_NAME_MAX = 80;

class BodyTooLargeError extends Error {}

function fail(error: SlackErrorCode, extra: Record<string, unknown> = {}): ApiResult {
  return { ok: false, error, ...extra };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function bool(args: Args, key: string): boolean {
  const v = args[key];
  return v === true || v === 'true' || v === '1' || v === 1;
}

function int(args: Args, key: string): number | undefined {
  const s = str(args, key);
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isInteger(n) ? n : undefined;
}

function jsonArg(args: Args, key: string): JsonArg {
  const v = args[key];
  if (v === undefined || v === null || v === '') return { kind: 'absent' };
  if (typeof v !== 'string') return { kind: 'ok', value: v };
  try {
    return { kind: 'ok', value: JSON.parse(v) as unknown };
  } catch {
    return { kind: 'bad' };
  }
}

function tsToNumber(ts: string): number {
  return Number(ts);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Cursor pagination as Slack does it: an opaque `next_cursor`, empty on the last page. */
function paginate<T>(items: readonly T[], args: Args, defaultLimit: number, maxLimit: number): { page: T[]; next: string } {
  const requested = int(args, 'limit');
  const limit = requested === undefined || requested <= 0 ? defaultLimit : Math.min(requested, maxLimit);
  const cursor = str(args, 'cursor');
  let offset = 0;
  if (cursor) {
    const decoded = Buffer.from(cursor, 'base64').toString('utf8');
    const m = /^offset:(\d+)$/.exec(decoded);
    offset = m?.[1] !== undefined ? Number(m[1]) : 0;
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '';
  return { page, next };
}

// ---------------------------------------------------------------------------------------------
// The emulator

export class SlackEmulator extends EventEmitter<{ change: [ChangeEvent] }> {
  readonly botToken: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly teamName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly botName: string;

  private readonly clock: Pick<Clock, 'now'>;
  private readonly chatWritePublic: boolean;
  private readonly usergroupsEnabled: boolean;
  private readonly strictTriggers: boolean;
  private readonly triggerTtlMs: number;
  private readonly responseUrlMaxUses: number;
  private readonly responseUrlTtlMs: number;

  private server: Server | undefined;
  private origin: string | undefined;
  private seq = 0;
  private lastTsMicros = 0;

  private readonly users = new Map<string, EmulatedUser>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly usergroups = new Map<string, EmulatedUsergroup>();
  private readonly ephemeralLog: EphemeralMessage[] = [];
  private readonly callLog: ApiCall[] = [];
  private readonly viewLog: OpenedView[] = [];
  private readonly fileStore = new Map<string, UploadedFile>();
  private readonly triggers = new Map<string, TriggerState>();
  private readonly responseUrls = new Map<string, ResponseUrlState>();
  private readonly faults = new Map<string, FaultState[]>();
  private readonly methods: Record<string, Handler>;

  constructor(options: SlackEmulatorOptions = {}) {
    super();
    this.botToken = options.botToken ?? 'xoxb-backstop-emulator';
    this.teamId = options.teamId ?? 'T0BACKSTOP';
    this.teamDomain = options.teamDomain ?? 'backstop-sandbox';
    this.teamName = options.teamName ?? 'Backstop Sandbox';
    this.botUserId = options.botUserId ?? 'U0BACKSTOP';
    this.botId = options.botId ?? 'B0BACKSTOP';
    this.appId = options.appId ?? 'A0BACKSTOP';
    this.botName = options.botName ?? 'backstop';
    this.clock = options.clock ?? { now: () => new Date() };
    this.chatWritePublic = options.chatWritePublic ?? false;
    this.usergroupsEnabled = options.usergroupsEnabled ?? true;
    this.strictTriggers = options.strictTriggers ?? true;
    this.triggerTtlMs = options.triggerTtlMs ?? 3000;
    this.responseUrlMaxUses = options.responseUrlMaxUses ?? 5;
    this.responseUrlTtlMs = options.responseUrlTtlMs ?? 30 * 60 * 1000;
    this.users.set(this.botUserId, { id: this.botUserId, name: this.botName, real_name: this.botName, is_bot: true, deleted: false, tz: 'Etc/UTC' });
    this.methods = {
      'api.test': (a) => this.apiTest(a),
      'auth.test': () => this.authTest(),
      'chat.postMessage': (a) => this.chatPostMessage(a),
      'chat.update': (a) => this.chatUpdate(a),
      'chat.delete': (a) => this.chatDelete(a),
      'chat.postEphemeral': (a) => this.chatPostEphemeral(a),
      'conversations.create': (a) => this.conversationsCreate(a),
      'conversations.invite': (a) => this.conversationsInvite(a),
      'conversations.join': (a) => this.conversationsJoin(a),
      'conversations.open': (a) => this.conversationsOpen(a),
      'conversations.info': (a) => this.conversationsInfo(a),
      'conversations.list': (a) => this.conversationsList(a),
      'conversations.members': (a) => this.conversationsMembers(a),
      'conversations.history': (a) => this.conversationsHistory(a),
      'conversations.replies': (a) => this.conversationsReplies(a),
      'usergroups.list': (a) => this.usergroupsList(a),
      'usergroups.users.list': (a) => this.usergroupsUsersList(a),
      'users.info': (a) => this.usersInfo(a),
      'users.lookupByEmail': (a) => this.usersLookupByEmail(a),
      'views.open': (a) => this.viewsOpen(a),
      'files.getUploadURLExternal': (a) => this.filesGetUploadUrlExternal(a),
      'files.completeUploadExternal': (a) => this.filesCompleteUploadExternal(a),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /** Starts listening; `url` is the Web API base to give WebClient (`http://host:port/api/`). */
  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new Error('SlackEmulator already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator error: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.server = server;
    this.origin = `http://${hostPart}:${address.port}`;
    return { url: this.url };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The Web API base URL, ending in `/api/`. */
  get url(): string {
    return `${this.requireOrigin()}/api/`;
  }

  private requireOrigin(): string {
    if (!this.origin) throw new Error('SlackEmulator is not started: call start() first');
    return this.origin;
  }

  // ------------------------------------------------------------------------------------------
  // Seeding

  addUser(input: AddUserInput): EmulatedUser {
    const id = input.id ?? this.nextId('U');
    if (this.users.has(id)) throw new Error(`user ${id} already exists`);
    const user: EmulatedUser = {
      id,
      name: input.name,
      real_name: input.real_name ?? input.name,
      is_bot: input.is_bot ?? false,
      deleted: input.deleted ?? false,
      tz: input.tz ?? 'Etc/UTC',
      ...(input.email !== undefined ? { email: input.email } : {}),
    };
    this.users.set(id, user);
    return clone(user);
  }

  addChannel(input: AddChannelInput): EmulatedChannel {
    const id = input.id ?? this.nextId(input.is_private ? 'G' : 'C');
    if (this.channels.has(id)) throw new Error(`channel ${id} already exists`);
    if (this.channelByName(input.name)) throw new Error(`a channel named ${input.name} already exists`);
    const members = new Set<string>();
    for (const m of input.members ?? []) {
      if (!this.users.has(m)) throw new Error(`addChannel(${input.name}): unknown member ${m}; addUser first`);
      members.add(m);
    }
    if (input.botMember ?? true) members.add(this.botUserId);
    const channel: ChannelState = {
      id,
      name: input.name,
      is_private: input.is_private ?? false,
      is_im: false,
      is_archived: input.is_archived ?? false,
      created: this.nowSeconds(),
      creator: input.members?.[0] ?? this.botUserId,
      members,
      messages: [],
    };
    this.channels.set(id, channel);
    return this.channelSnapshot(channel);
  }

  addUsergroup(input: AddUsergroupInput): EmulatedUsergroup {
    const id = input.id ?? this.nextId('S');
    if (this.usergroups.has(id)) throw new Error(`usergroup ${id} already exists`);
    for (const u of input.users) {
      if (!this.users.has(u)) throw new Error(`addUsergroup(${input.handle}): unknown user ${u}; addUser first`);
    }
    const group: EmulatedUsergroup = { id, handle: input.handle, name: input.name ?? input.handle, users: [...input.users], enabled: input.enabled ?? true };
    this.usergroups.set(id, group);
    return clone(group);
  }

  /** Seeds a message from a human (e.g. a reply in a thread); returns it. */
  addMessage(channelId: string, input: { user: string; text: string; blocks?: unknown[]; thread_ts?: string }): SlackMessage {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`addMessage: unknown channel ${channelId}`);
    if (!this.users.has(input.user)) throw new Error(`addMessage: unknown user ${input.user}`);
    let parent: SlackMessage | undefined;
    if (input.thread_ts !== undefined) {
      parent = this.findThreadParent(channel, input.thread_ts);
      if (!parent) throw new Error(`addMessage: no message ${input.thread_ts} in ${channelId}`);
    }
    const message = this.appendMessage(channel, {
      user: input.user,
      text: input.text,
      ...(input.blocks ? { blocks: input.blocks } : {}),
    }, parent);
    return clone(message);
  }

  /** Mints a trigger id `views.open` accepts once, within the trigger lifetime. */
  triggerId(userId?: string): string {
    const n = ++this.seq;
    const id = `${n}.${this.teamId.replace(/\D/g, '') || '1'}.${n.toString(16).padStart(32, '0')}`;
    this.triggers.set(id, { issuedAt: this.clock.now().getTime(), used: false, ...(userId !== undefined ? { user: userId } : {}) });
    return id;
  }

  /** Mints a response_url for an interaction by `userId` in `channelId` (needs a started server). */
  responseUrl(channelId: string, userId: string, options: ResponseUrlOptions = {}): string {
    const n = ++this.seq;
    const id = `${this.teamId}/${n}/${n.toString(16).padStart(24, '0')}`;
    this.responseUrls.set(id, {
      channel: channelId,
      user: userId,
      isEphemeral: options.isEphemeral ?? false,
      issuedAt: this.clock.now().getTime(),
      uses: 0,
      ...(options.messageTs !== undefined ? { messageTs: options.messageTs } : {}),
    });
    return `${this.requireOrigin()}/response/${id}`;
  }

  /** Makes the next `times` calls of `method` (or `*` for any) fail as given. */
  failNext(method: string, fault: Fault, times = 1): void {
    const list = this.faults.get(method) ?? [];
    list.push({ fault, remaining: times });
    this.faults.set(method, list);
  }

  // ------------------------------------------------------------------------------------------
  // Inspection

  /** Every request received, oldest first. */
  get calls(): readonly ApiCall[] {
    return clone(this.callLog);
  }

  /**
   * Messages in a channel (every channel if omitted), oldest first, thread replies included (they
   * carry `thread_ts`). `topLevel` keeps only what the channel itself shows.
   */
  messages(channelId?: string, options: { topLevel?: boolean } = {}): SlackMessage[] {
    const channels = channelId === undefined ? [...this.channels.values()] : [this.channels.get(channelId)].filter((c) => c !== undefined);
    const all = channels.flatMap((c) => c.messages).sort((a, b) => tsToNumber(a.ts) - tsToNumber(b.ts));
    const shown = options.topLevel ? all.filter((m) => this.isTopLevel(m)) : all;
    return clone(shown);
  }

  /** A thread: the parent first, then its replies in order ([] if there is no such message). */
  thread(channelId: string, ts: string): SlackMessage[] {
    const channel = this.channels.get(channelId);
    if (!channel) return [];
    const parent = this.findThreadParent(channel, ts);
    if (!parent) return [];
    return clone([parent, ...channel.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts)]);
  }

  /** Ephemeral messages, optionally only those shown to `userId`. */
  ephemerals(userId?: string): EphemeralMessage[] {
    return clone(userId === undefined ? this.ephemeralLog : this.ephemeralLog.filter((e) => e.user === userId));
  }

  views(): OpenedView[] {
    return clone(this.viewLog);
  }

  files(): UploadedFile[] {
    return [...this.fileStore.values()].map((f) => ({ ...f, channels: [...f.channels], content: f.content ? Buffer.from(f.content) : null }));
  }

  /** Every user group, in creation order. */
  listUsergroups(): EmulatedUsergroup[] {
    return [...this.usergroups.values()].map((g) => ({ ...g, users: [...g.users] }));
  }

  /** Every channel, in creation order. */
  listChannels(): EmulatedChannel[] {
    return [...this.channels.values()].map((c) => this.channelSnapshot(c));
  }

  channel(idOrName: string): EmulatedChannel | undefined {
    const c = this.channels.get(idOrName) ?? this.channelByName(idOrName.replace(/^#/, ''));
    return c ? this.channelSnapshot(c) : undefined;
  }

  user(id: string): EmulatedUser | undefined {
    const u = this.users.get(id);
    return u ? clone(u) : undefined;
  }

  /**
   * Resolves with the first non-empty value `predicate` returns, re-checking on every change and
   * every 25 ms. A predicate that throws counts as "not yet". On timeout it rejects with a summary
   * of the calls, messages and ephemerals seen.
   */
  waitFor<T>(predicate: (emulator: this) => T | undefined | null | false, timeoutMs = 2000, description = 'condition'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lastError: unknown;
      let settled = false;
      const check = (): void => {
        if (settled) return;
        try {
          const value = predicate(this);
          if (value !== undefined && value !== null && value !== false) {
            finish();
            resolve(value);
          }
        } catch (err) {
          lastError = err;
        }
      };
      const onChange = (): void => check();
      const interval = setInterval(check, 25);
      const timer = setTimeout(() => {
        finish();
        const cause = lastError instanceof Error ? `\nlast predicate error: ${lastError.message}` : '';
        reject(new Error(`SlackEmulator.waitFor(${description}) timed out after ${timeoutMs} ms.${cause}\n${this.describe()}`));
      }, timeoutMs);
      const finish = (): void => {
        settled = true;
        this.off('change', onChange);
        clearInterval(interval);
        clearTimeout(timer);
      };
      this.on('change', onChange);
      check();
    });
  }

  /** A readable summary of what the emulator has seen, for failure messages. */
  describe(): string {
    const lines: string[] = [];
    const calls = this.callLog.slice(-40);
    lines.push(`calls (${this.callLog.length}${this.callLog.length > calls.length ? `, last ${calls.length}` : ''}):`);
    if (calls.length === 0) lines.push('  (none)');
    for (const c of calls) {
      const where = str(c.args, 'channel') ?? str(c.args, 'channel_id') ?? '';
      lines.push(`  ${c.method}${where ? ` ${where}` : ''} → ${c.ok ? 'ok' : (c.error ?? `HTTP ${c.status}`)}`);
    }
    for (const ch of this.channels.values()) {
      if (ch.messages.length === 0) continue;
      lines.push(`messages in ${ch.is_im ? `DM with ${ch.user ?? '?'}` : `#${ch.name}`} (${ch.id}):`);
      for (const m of ch.messages) {
        const thread = m.thread_ts && m.thread_ts !== m.ts ? ` (in thread ${m.thread_ts})` : '';
        const blocks = m.blocks?.length ? ` [${m.blocks.length} blocks]` : '';
        lines.push(`  ${m.ts} ${m.user ?? m.bot_id ?? '?'}${thread}: ${JSON.stringify(clip(m.text, 120))}${blocks}`);
      }
    }
    if (this.ephemeralLog.length > 0) {
      lines.push('ephemerals:');
      for (const e of this.ephemeralLog) lines.push(`  to ${e.user} in ${e.channel} via ${e.via}: ${JSON.stringify(clip(e.text, 120))}`);
    }
    if (this.viewLog.length > 0) lines.push(`views opened: ${this.viewLog.map((v) => v.id).join(', ')}`);
    return lines.join('\n');
  }

  // ------------------------------------------------------------------------------------------
  // HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    let body: Buffer;
    try {
      body = await readBody(req, BODY_LIMIT);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { ok: false, error: 'request_too_large' });
      throw err;
    }
    if (url.pathname.startsWith('/api/')) return this.handleApi(req, res, decodeURIComponent(url.pathname.slice(5)), url.searchParams, body);
    if (url.pathname.startsWith('/response/') && req.method === 'POST') return this.handleResponseUrl(res, url.pathname.slice('/response/'.length), req, body);
    if (url.pathname.startsWith('/upload/v1/') && req.method === 'POST') return this.handleUpload(req, res, url.pathname.slice('/upload/v1/'.length), body);
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, method: string, query: URLSearchParams, body: Buffer): Promise<void> {
    const parsed = await parseArgs(req, query, body);
    const args = 'args' in parsed ? parsed.args : {};
    const respond = (status: number, result: ApiResult, headers: Record<string, string> = {}): void => {
      this.record(method, args, status, result);
      sendJson(res, status, result, headers);
    };
    if ('error' in parsed) return respond(200, fail(parsed.error));
    const handler = Object.hasOwn(this.methods, method) ? this.methods[method] : undefined;
    if (!handler) return respond(200, fail('unknown_method', { req_method: method }));
    if (method !== 'api.test') {
      const token = bearer(req.headers.authorization) ?? (parsed.json ? undefined : str(args, 'token'));
      if (!token) return respond(200, fail('not_authed'));
      if (token !== this.botToken) return respond(200, fail('invalid_auth'));
    }
    const fault = this.takeFault(method);
    if (fault) {
      if ('error' in fault) return respond(200, { ok: false, error: fault.error });
      if (fault.status === 429) {
        const retryAfter = fault.retryAfter ?? 1;
        return respond(429, fail('ratelimited'), { 'retry-after': String(retryAfter) });
      }
      return respond(500, fail('internal_error'));
    }
    respond(200, handler(args));
  }

  private takeFault(method: string): Fault | undefined {
    for (const key of [method, '*']) {
      const list = this.faults.get(key);
      const head = list?.[0];
      if (!list || !head) continue;
      head.remaining -= 1;
      if (head.remaining <= 0) list.shift();
      if (list.length === 0) this.faults.delete(key);
      return head.fault;
    }
    return undefined;
  }

  private record(method: string, args: Args, status: number, result: ApiResult): void {
    const call: ApiCall = {
      method,
      args: argsForLog(args),
      time: this.clock.now(),
      status,
      ok: status === 200 && result.ok,
      ...(result.error !== undefined ? { error: result.error } : {}),
    };
    this.callLog.push(call);
    this.emit('change', { kind: 'call', call: clone(call) });
  }

  // ------------------------------------------------------------------------------------------
  // response_url

  private handleResponseUrl(res: ServerResponse, id: string, req: IncomingMessage, body: Buffer): void {
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      payload = undefined;
    }
    const args: Args = isRecord(payload) ? payload : {};
    const respond = (status: number, result: ApiResult): void => {
      this.record('response_url', { ...args, response_url: id }, status, result);
      sendJson(res, status, result);
    };
    const entry = this.responseUrls.get(decodeURIComponent(id));
    if (!entry) return respond(404, fail('no_such_url'));
    if (this.clock.now().getTime() - entry.issuedAt > this.responseUrlTtlMs) return respond(404, fail('expired_url'));
    if (entry.uses >= this.responseUrlMaxUses) return respond(404, fail('used_url'));
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json' || !isRecord(payload)) return respond(400, fail('invalid_payload'));
    const channel = this.channels.get(entry.channel);
    if (!channel) return respond(404, fail('channel_not_found'));

    if (bool(args, 'delete_original')) {
      if (entry.messageTs === undefined) return respond(404, fail('message_not_found'));
      entry.uses += 1;
      if (entry.isEphemeral) {
        const i = this.ephemeralLog.findIndex((e) => e.ts === entry.messageTs && e.user === entry.user);
        if (i >= 0) this.ephemeralLog.splice(i, 1);
      } else {
        this.removeMessage(channel, entry.messageTs);
      }
      return respond(200, { ok: true });
    }

    const content = this.messageContent(args);
    if ('error' in content) return respond(400, content);
    const text = content.text ?? '';
    if (!text && !content.blocks?.length && !content.attachments?.length) return respond(400, fail('no_text'));
    entry.uses += 1;

    const threadTs = str(args, 'thread_ts');
    if (bool(args, 'replace_original') && entry.messageTs !== undefined) {
      if (entry.isEphemeral) {
        const eph = this.ephemeralLog.find((e) => e.ts === entry.messageTs && e.user === entry.user);
        if (!eph) return respond(404, fail('message_not_found'));
        eph.text = text;
        eph.replaced = true;
        if (content.blocks) eph.blocks = this.withGeneratedIds(content.blocks);
        else delete eph.blocks;
        this.emit('change', { kind: 'ephemeral', ephemeral: clone(eph) });
        return respond(200, { ok: true });
      }
      const message = channel.messages.find((m) => m.ts === entry.messageTs);
      if (!message) return respond(404, fail('message_not_found'));
      message.text = text;
      if (content.blocks) message.blocks = this.withGeneratedIds(content.blocks);
      else delete message.blocks;
      if (content.attachments) message.attachments = content.attachments;
      this.emit('change', { kind: 'message_changed', channel: channel.id, message: clone(message) });
      return respond(200, { ok: true });
    }

    if (str(args, 'response_type') === 'in_channel') {
      let parent: SlackMessage | undefined;
      if (threadTs) {
        parent = this.findThreadParent(channel, threadTs);
        if (!parent) return respond(404, fail('thread_not_found'));
      }
      this.appendMessage(channel, this.botAuthored(text, content), parent);
      return respond(200, { ok: true });
    }
    this.addEphemeral({
      channel: channel.id,
      user: entry.user,
      ts: this.nextTs(),
      text,
      via: 'response_url',
      ...(content.blocks ? { blocks: this.withGeneratedIds(content.blocks) } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return respond(200, { ok: true });
  }

  // ------------------------------------------------------------------------------------------
  // File upload URL

  private async handleUpload(req: IncomingMessage, res: ServerResponse, id: string, body: Buffer): Promise<void> {
    const file = this.fileStore.get(decodeURIComponent(id));
    const respond = (status: number, text: string): void => {
      this.record('file_upload', { file_id: id, bytes: body.length }, status, status === 200 ? { ok: true } : { ok: false, error: text });
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (!file) return respond(404, 'file_not_found');
    let content = body;
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.toLowerCase().startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
      for (const value of form.values()) {
        if (typeof value !== 'string') {
          content = Buffer.from(await value.arrayBuffer());
          break;
        }
      }
    }
    file.content = content;
    this.emit('change', { kind: 'file', file: { ...file, channels: [...file.channels] } });
    respond(200, `OK - ${content.length}`);
  }

  // ------------------------------------------------------------------------------------------
  // Web API methods

  private apiTest(args: Args): ApiResult {
    const error = str(args, 'error');
    const echoed = Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'token' && k !== 'error'));
    return error ? { ok: false, error, args: echoed } : { ok: true, args: echoed };
  }

  private authTest(): ApiResult {
    return {
      ok: true,
      url: `https://${this.teamDomain}.slack.com/`,
      team: this.teamName,
      user: this.botName,
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    };
  }

  private chatPostMessage(args: Args): ApiResult {
    const channel = this.resolveChannel(str(args, 'channel'), { allowUser: true });
    const denied = this.denied(channel, 'write');
    if (denied || !channel) return fail(denied ?? 'channel_not_found');
    const content = this.messageContent(args);
    if ('error' in content) return content;
    const text = content.text ?? '';
    if (!text && !content.blocks?.length && !content.attachments?.length) return fail('no_text');
    let parent: SlackMessage | undefined;
    const threadTs = str(args, 'thread_ts');
    if (threadTs) {
      parent = this.findThreadParent(channel, threadTs);
      if (!parent) return fail('thread_not_found');
    }
    const metadata = jsonArg(args, 'metadata');
    const message = this.appendMessage(
      channel,
      {
        ...this.botAuthored(text, content),
        ...(metadata.kind === 'ok' ? { metadata: metadata.value } : {}),
        ...(parent && bool(args, 'reply_broadcast') ? { subtype: 'thread_broadcast' } : {}),
      },
      parent,
    );
    const { channel: _channel, ...echo } = message;
    return { ok: true, channel: channel.id, ts: message.ts, message: clone(echo) };
  }

  /** The bot's own message that `chat.update` / `chat.delete` name, or Slack's error for why not. */
  private ownMessage(args: Args, notOwn: SlackErrorCode): { channel: ChannelState; message: SlackMessage } | ApiResult {
    const channel = this.channels.get(str(args, 'channel') ?? '');
    const denied = this.denied(channel, 'write');
    if (denied || !channel) return fail(denied ?? 'channel_not_found');
    const ts = str(args, 'ts');
    const message = ts ? channel.messages.find((m) => m.ts === ts) : undefined;
    if (!message) return fail('message_not_found');
    if (message.bot_id !== this.botId) return fail(notOwn);
    return { channel, message };
  }

  private chatUpdate(args: Args): ApiResult {
    const found = this.ownMessage(args, 'cant_update_message');
    if ('ok' in found) return found;
    const { channel, message } = found;
    const content = this.messageContent(args);
    if ('error' in content) return content;
    if (content.text === undefined && content.blocks === undefined && content.attachments === undefined) return fail('no_text');
    if (content.text !== undefined) message.text = content.text;
    if (content.blocks !== undefined) {
      if (content.blocks.length > 0) message.blocks = this.withGeneratedIds(content.blocks);
      else delete message.blocks;
    }
    if (content.attachments !== undefined) {
      if (content.attachments.length > 0) message.attachments = content.attachments;
      else delete message.attachments;
    }
    message.edited = { user: this.botUserId, ts: this.nextTs() };
    this.emit('change', { kind: 'message_changed', channel: channel.id, message: clone(message) });
    const { channel: _channel, ...echo } = message;
    return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: clone(echo) };
  }

  private chatDelete(args: Args): ApiResult {
    const found = this.ownMessage(args, 'cant_delete_message');
    if ('ok' in found) return found;
    const { channel, message } = found;
    this.removeMessage(channel, message.ts);
    return { ok: true, channel: channel.id, ts: message.ts };
  }

  private chatPostEphemeral(args: Args): ApiResult {
    const channel = this.resolveChannel(str(args, 'channel'), { allowUser: true });
    const denied = this.denied(channel, 'write');
    if (denied || !channel) return fail(denied ?? 'channel_not_found');
    const userId = str(args, 'user');
    const user = userId ? this.users.get(userId) : undefined;
    if (!user) return fail('user_not_found');
    if (!channel.members.has(user.id)) return fail('user_not_in_channel');
    const content = this.messageContent(args);
    if ('error' in content) return content;
    const text = content.text ?? '';
    if (!text && !content.blocks?.length && !content.attachments?.length) return fail('no_text');
    const threadTs = str(args, 'thread_ts');
    if (threadTs && !this.findThreadParent(channel, threadTs)) return fail('thread_not_found');
    const ts = this.nextTs();
    this.addEphemeral({
      channel: channel.id,
      user: user.id,
      ts,
      text,
      via: 'chat.postEphemeral',
      ...(content.blocks ? { blocks: this.withGeneratedIds(content.blocks) } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return { ok: true, message_ts: ts };
  }

  private conversationsCreate(args: Args): ApiResult {
    const name = str(args, 'name') ?? '';
    if (!name) return fail('invalid_name_required');
    if (name.length > CHANNEL_NAME_MAX) return fail('invalid_name_maxlength');
    if (!/^[a-z0-9_-]+$/.test(name)) return fail('invalid_name_specials');
    if (!/[a-z0-9]/.test(name)) return fail('invalid_name_punctuation');
    if (this.channelByName(name)) return fail('name_taken');
    const isPrivate = bool(args, 'is_private');
    const channel: ChannelState = {
      id: this.nextId(isPrivate ? 'G' : 'C'),
      name,
      is_private: isPrivate,
      is_im: false,
      is_archived: false,
      created: this.nowSeconds(),
      creator: this.botUserId,
      members: new Set([this.botUserId]),
      messages: [],
    };
    this.channels.set(channel.id, channel);
    this.emit('change', { kind: 'channel', channel: this.channelSnapshot(channel) });
    return { ok: true, channel: this.channelObject(channel) };
  }

  private conversationsInvite(args: Args): ApiResult {
    const channel = this.channels.get(str(args, 'channel') ?? '');
    const denied = this.denied(channel, 'write');
    if (denied || !channel) return fail(denied ?? 'channel_not_found');
    if (channel.is_im) return fail('method_not_supported_for_channel_type');
    const ids = (str(args, 'users') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) return fail('no_user');
    if (ids.length > 1000) return fail('too_many_users');
    for (const id of ids) {
      if (id === this.botUserId) return fail('cant_invite_self');
      const user = this.users.get(id);
      if (!user || user.deleted) return fail('user_not_found');
    }
    const fresh = ids.filter((id) => !channel.members.has(id));
    if (fresh.length === 0) return fail('already_in_channel');
    for (const id of fresh) channel.members.add(id);
    this.emit('change', { kind: 'channel', channel: this.channelSnapshot(channel) });
    return { ok: true, channel: this.channelObject(channel) };
  }

  private conversationsJoin(args: Args): ApiResult {
    const channel = this.channels.get(str(args, 'channel') ?? '');
    if (!channel || (channel.is_private && !channel.members.has(this.botUserId))) return fail('channel_not_found');
    if (channel.is_private || channel.is_im) return fail('method_not_supported_for_channel_type');
    if (channel.is_archived) return fail('is_archived');
    const already = channel.members.has(this.botUserId);
    channel.members.add(this.botUserId);
    if (!already) this.emit('change', { kind: 'channel', channel: this.channelSnapshot(channel) });
    return { ok: true, channel: this.channelObject(channel), ...(already ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } } : {}) };
  }

  private conversationsOpen(args: Args): ApiResult {
    const channelId = str(args, 'channel');
    if (channelId) {
      const channel = this.channels.get(channelId);
      if (!channel || !channel.is_im) return fail('channel_not_found');
      return { ok: true, channel: bool(args, 'return_im') ? this.channelObject(channel) : { id: channel.id } };
    }
    const ids = (str(args, 'users') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) return fail('users_list_not_supplied');
    if (ids.length > 1) return fail('not_enough_users');
    const user = this.users.get(ids[0] ?? '');
    if (!user || user.deleted) return fail('user_not_found');
    const dm = this.openDm(user.id);
    return { ok: true, channel: bool(args, 'return_im') ? this.channelObject(dm) : { id: dm.id } };
  }

  private conversationsInfo(args: Args): ApiResult {
    const channel = this.channels.get(str(args, 'channel') ?? '');
    if (!channel || this.hiddenFromBot(channel)) return fail('channel_not_found');
    const object = this.channelObject(channel);
    return { ok: true, channel: bool(args, 'include_num_members') ? { ...object, num_members: channel.members.size } : object };
  }

  private conversationsList(args: Args): ApiResult {
    const types = new Set((str(args, 'types') ?? 'public_channel').split(',').map((s) => s.trim()));
    const excludeArchived = bool(args, 'exclude_archived');
    const visible = [...this.channels.values()].filter((c) => {
      if (this.hiddenFromBot(c)) return false;
      if (excludeArchived && c.is_archived) return false;
      if (c.is_im) return types.has('im');
      return types.has(c.is_private ? 'private_channel' : 'public_channel');
    });
    const { page, next } = paginate(visible, args, 100, 1000);
    return { ok: true, channels: page.map((c) => this.channelObject(c)), response_metadata: { next_cursor: next } };
  }

  private conversationsMembers(args: Args): ApiResult {
    const channel = this.channels.get(str(args, 'channel') ?? '');
    if (!channel || this.hiddenFromBot(channel)) return fail('channel_not_found');
    const { page, next } = paginate([...channel.members], args, 100, 1000);
    return { ok: true, members: page, response_metadata: { next_cursor: next } };
  }

  private conversationsHistory(args: Args): ApiResult {
    const channel = this.channels.get(str(args, 'channel') ?? '');
    const denied = this.denied(channel, 'read');
    if (denied || !channel) return fail(denied ?? 'channel_not_found');
    const inclusive = bool(args, 'inclusive');
    const oldest = str(args, 'oldest');
    const latest = str(args, 'latest');
    const inRange = (m: SlackMessage): boolean => {
      const t = tsToNumber(m.ts);
      if (oldest !== undefined && (inclusive ? t < Number(oldest) : t <= Number(oldest))) return false;
      if (latest !== undefined && (inclusive ? t > Number(latest) : t >= Number(latest))) return false;
      return true;
    };
    const shown = channel.messages.filter((m) => this.isTopLevel(m) && inRange(m)).reverse();
    const { page, next } = paginate(shown, args, 100, 999);
    return {
      ok: true,
      messages: page.map((m) => this.withoutChannel(m)),
      has_more: next !== '',
      pin_count: 0,
      response_metadata: { next_cursor: next },
    };
  }

  private conversationsReplies(args: Args): ApiResult {
    const channel = this.channels.get(str(args, 'channel') ?? '');
    const denied = this.denied(channel, 'read');
    if (denied || !channel) return fail(denied ?? 'channel_not_found');
    const ts = str(args, 'ts');
    const parent = ts ? this.findThreadParent(channel, ts) : undefined;
    if (!parent) return fail('thread_not_found');
    const thread = [parent, ...channel.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts)];
    const { page, next } = paginate(thread, args, 1000, 1000);
    return { ok: true, messages: page.map((m) => this.withoutChannel(m)), has_more: next !== '', response_metadata: { next_cursor: next } };
  }

  private usergroupsList(args: Args): ApiResult {
    if (!this.usergroupsEnabled) return fail('plan_upgrade_required');
    const includeUsers = bool(args, 'include_users');
    const includeDisabled = bool(args, 'include_disabled');
    const groups = [...this.usergroups.values()]
      .filter((g) => g.enabled || includeDisabled)
      .map((g) => ({
        id: g.id,
        team_id: this.teamId,
        is_usergroup: true,
        name: g.name,
        handle: g.handle,
        date_delete: g.enabled ? 0 : this.nowSeconds(),
        user_count: g.users.length,
        ...(includeUsers ? { users: [...g.users] } : {}),
      }));
    return { ok: true, usergroups: groups };
  }

  private usergroupsUsersList(args: Args): ApiResult {
    if (!this.usergroupsEnabled) return fail('plan_upgrade_required');
    const group = this.usergroups.get(str(args, 'usergroup') ?? '');
    if (!group) return fail('no_such_subteam');
    if (!group.enabled && !bool(args, 'include_disabled')) return fail('no_such_subteam');
    return { ok: true, users: [...group.users] };
  }

  private usersInfo(args: Args): ApiResult {
    const user = this.users.get(str(args, 'user') ?? '');
    if (!user) return fail('user_not_found');
    return { ok: true, user: this.userObject(user) };
  }

  private usersLookupByEmail(args: Args): ApiResult {
    const email = (str(args, 'email') ?? '').toLowerCase();
    const user = email ? [...this.users.values()].find((u) => u.email?.toLowerCase() === email && !u.deleted) : undefined;
    if (!user) return fail('users_not_found');
    return { ok: true, user: this.userObject(user) };
  }

  private viewsOpen(args: Args): ApiResult {
    const triggerId = str(args, 'trigger_id');
    if (!triggerId) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: trigger_id'] } });
    const raw = jsonArg(args, 'view');
    if (raw.kind === 'absent') return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: view'] } });
    if (raw.kind === 'bad' || !isRecord(raw.value)) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] view must be a JSON object'] } });
    let user: string | undefined;
    if (this.strictTriggers) {
      const trigger = this.triggers.get(triggerId);
      if (!trigger) return fail('invalid_trigger_id');
      if (trigger.used) return fail('trigger_exchanged');
      if (this.clock.now().getTime() - trigger.issuedAt > this.triggerTtlMs) return fail('expired_trigger_id');
      trigger.used = true;
      user = trigger.user;
    }
    const validation = validateView(raw.value);
    if (!validation.ok) return fail('invalid_arguments', { response_metadata: { messages: validation.errors } });
    const viewId = this.nextId('V');
    const blocks = Array.isArray(raw.value.blocks) ? this.withGeneratedIds(raw.value.blocks) : [];
    const view = {
      id: viewId,
      team_id: this.teamId,
      ...raw.value,
      blocks,
      private_metadata: str(raw.value, 'private_metadata') ?? '',
      callback_id: str(raw.value, 'callback_id') ?? '',
      state: { values: {} },
      hash: `${this.nowSeconds()}.${viewId}`,
      root_view_id: viewId,
      previous_view_id: null,
      app_id: this.appId,
      bot_id: this.botId,
    };
    const opened: OpenedView = { id: viewId, trigger_id: triggerId, view, ...(user !== undefined ? { user } : {}) };
    this.viewLog.push(opened);
    this.emit('change', { kind: 'view', view: clone(opened) });
    return { ok: true, view: clone(view) };
  }

  private filesGetUploadUrlExternal(args: Args): ApiResult {
    const filename = str(args, 'filename');
    const length = int(args, 'length');
    const missing = [!filename ? 'filename' : undefined, length === undefined ? 'length' : undefined].filter((m) => m !== undefined);
    if (missing.length > 0) return fail('invalid_arguments', { response_metadata: { messages: missing.map((m) => `[ERROR] missing required field: ${m}`) } });
    if (length === undefined || length <= 0) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] length must be greater than 0'] } });
    const id = this.nextId('F');
    this.fileStore.set(id, { id, filename: filename ?? '', title: filename ?? '', length, content: null, channels: [], completed: false });
    return { ok: true, upload_url: `${this.requireOrigin()}/upload/v1/${id}`, file_id: id };
  }

  private filesCompleteUploadExternal(args: Args): ApiResult {
    const raw = jsonArg(args, 'files');
    if (raw.kind !== 'ok' || !Array.isArray(raw.value) || raw.value.length === 0) {
      return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] files must be a non-empty JSON array of {id, title}'] } });
    }
    const requested: { id: string; title?: string }[] = [];
    for (const f of raw.value) {
      if (!isRecord(f) || typeof f.id !== 'string') return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] each file needs an id'] } });
      requested.push({ id: f.id, ...(typeof f.title === 'string' ? { title: f.title } : {}) });
    }
    const files: UploadedFile[] = [];
    for (const r of requested) {
      const file = this.fileStore.get(r.id);
      if (!file || file.content === null) return fail('file_not_found');
      files.push(file);
    }
    const channelId = str(args, 'channel_id');
    let channel: ChannelState | undefined;
    let parent: SlackMessage | undefined;
    if (channelId) {
      channel = this.channels.get(channelId);
      const denied = this.denied(channel, 'write');
      if (denied || !channel) return fail(denied ?? 'channel_not_found');
      const threadTs = str(args, 'thread_ts');
      if (threadTs) {
        parent = this.findThreadParent(channel, threadTs);
        if (!parent) return fail('thread_not_found');
      }
    }
    requested.forEach((r, i) => {
      const file = files[i];
      if (!file) return;
      if (r.title !== undefined) file.title = r.title;
      file.completed = true;
      if (channel) file.channels.push(channel.id);
    });
    const objects = files.map((f) => this.fileObject(f));
    if (channel) {
      this.appendMessage(channel, { ...this.botAuthored(str(args, 'initial_comment') ?? '', {}), files: objects }, parent);
    }
    for (const f of files) this.emit('change', { kind: 'file', file: { ...f, channels: [...f.channels] } });
    return { ok: true, files: objects };
  }

  // ------------------------------------------------------------------------------------------
  // State helpers

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  /** `"<unix seconds>.<6 digits>"`, strictly increasing even when the clock stands still. */
  private nextTs(): string {
    const micros = Math.max(this.clock.now().getTime() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private nextId(prefix: string): string {
    return `${prefix}${(++this.seq).toString(36).toUpperCase().padStart(9, '0')}`;
  }

  private channelByName(name: string): ChannelState | undefined {
    return [...this.channels.values()].find((c) => !c.is_im && c.name === name);
  }

  private resolveChannel(ref: string | undefined, options: { allowUser?: boolean } = {}): ChannelState | undefined {
    if (!ref) return undefined;
    const byId = this.channels.get(ref);
    if (byId) return byId;
    if (options.allowUser) {
      const user = this.users.get(ref);
      if (user && !user.deleted && user.id !== this.botUserId) return this.openDm(user.id);
    }
    const byName = this.channelByName(ref.replace(/^#/, ''));
    return byName && !byName.is_private ? byName : undefined;
  }

  private openDm(userId: string): ChannelState {
    const existing = [...this.channels.values()].find((c) => c.is_im && c.user === userId);
    if (existing) return existing;
    const dm: ChannelState = {
      id: this.nextId('D'),
      name: userId,
      is_private: true,
      is_im: true,
      is_archived: false,
      created: this.nowSeconds(),
      creator: this.botUserId,
      members: new Set([this.botUserId, userId]),
      user: userId,
      messages: [],
    };
    this.channels.set(dm.id, dm);
    this.emit('change', { kind: 'channel', channel: this.channelSnapshot(dm) });
    return dm;
  }

  /** Private channels and DMs the bot is not in do not exist as far as the bot can tell. */
  private hiddenFromBot(channel: ChannelState): boolean {
    return (channel.is_private || channel.is_im) && !channel.members.has(this.botUserId);
  }

  /** The error Slack gives the bot for this channel, if any. */
  private denied(channel: ChannelState | undefined, mode: 'read' | 'write'): SlackErrorCode | undefined {
    if (!channel || this.hiddenFromBot(channel)) return 'channel_not_found';
    const member = channel.members.has(this.botUserId);
    if (mode === 'write') {
      if (channel.is_archived) return 'is_archived';
      if (!member && !this.chatWritePublic) return 'not_in_channel';
      return undefined;
    }
    return member ? undefined : 'not_in_channel';
  }

  private isTopLevel(m: SlackMessage): boolean {
    return m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast';
  }

  /** The parent of the thread `ts` belongs to (itself if it is top-level). */
  private findThreadParent(channel: ChannelState, ts: string): SlackMessage | undefined {
    const message = channel.messages.find((m) => m.ts === ts);
    if (!message) return undefined;
    if (message.thread_ts !== undefined && message.thread_ts !== message.ts) {
      return channel.messages.find((m) => m.ts === message.thread_ts);
    }
    return message;
  }

  private botAuthored(text: string, content: { blocks?: unknown[]; attachments?: unknown[] }): Partial<SlackMessage> {
    return {
      user: this.botUserId,
      bot_id: this.botId,
      app_id: this.appId,
      text,
      bot_profile: { id: this.botId, app_id: this.appId, name: this.botName, deleted: false, team_id: this.teamId },
      ...(content.blocks && content.blocks.length > 0 ? { blocks: this.withGeneratedIds(content.blocks) } : {}),
      ...(content.attachments && content.attachments.length > 0 ? { attachments: content.attachments } : {}),
    };
  }

  private appendMessage(channel: ChannelState, fields: Partial<SlackMessage>, parent?: SlackMessage): SlackMessage {
    const ts = this.nextTs();
    const message: SlackMessage = { type: 'message', text: '', ...fields, ts, channel: channel.id, team: this.teamId };
    if (parent) {
      message.thread_ts = parent.ts;
      if (parent.user !== undefined) message.parent_user_id = parent.user;
      const author = message.user ?? message.bot_id ?? 'unknown';
      const replyUsers = new Set(parent.reply_users ?? []);
      replyUsers.add(author);
      parent.thread_ts = parent.ts;
      parent.reply_count = (parent.reply_count ?? 0) + 1;
      parent.reply_users = [...replyUsers];
      parent.reply_users_count = replyUsers.size;
      parent.latest_reply = ts;
    }
    channel.messages.push(message);
    this.emit('change', { kind: 'message', channel: channel.id, message: clone(message) });
    if (parent) this.emit('change', { kind: 'message_changed', channel: channel.id, message: clone(parent) });
    return message;
  }

  private removeMessage(channel: ChannelState, ts: string): void {
    const index = channel.messages.findIndex((m) => m.ts === ts);
    const message = channel.messages[index];
    if (!message) return;
    const isReply = message.thread_ts !== undefined && message.thread_ts !== message.ts;
    if (!isReply && (message.reply_count ?? 0) > 0) {
      // Slack keeps a tombstone so the thread survives its parent.
      const tombstone: SlackMessage = { type: 'message', subtype: 'tombstone', ts: message.ts, channel: channel.id, team: this.teamId, text: 'This message was deleted.' };
      for (const key of ['thread_ts', 'reply_count', 'reply_users', 'reply_users_count', 'latest_reply'] as const) {
        if (message[key] !== undefined) Object.assign(tombstone, { [key]: message[key] });
      }
      channel.messages[index] = tombstone;
    } else {
      channel.messages.splice(index, 1);
      if (isReply) {
        const parent = channel.messages.find((m) => m.ts === message.thread_ts);
        if (parent) {
          const replies = channel.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
          parent.reply_count = replies.length;
          parent.reply_users = [...new Set(replies.map((r) => r.user ?? r.bot_id ?? 'unknown'))];
          parent.reply_users_count = parent.reply_users.length;
          const last = replies[replies.length - 1];
          if (last) parent.latest_reply = last.ts;
          else {
            delete parent.latest_reply;
            delete parent.reply_count;
            delete parent.reply_users;
            delete parent.reply_users_count;
            delete parent.thread_ts;
          }
        }
      }
    }
    this.emit('change', { kind: 'message_deleted', channel: channel.id, ts });
  }

  private addEphemeral(ephemeral: EphemeralMessage): void {
    this.ephemeralLog.push(ephemeral);
    this.emit('change', { kind: 'ephemeral', ephemeral: clone(ephemeral) });
  }

  /**
   * Reads text / blocks / attachments the way chat.* and response_url do; refuses invalid blocks
   * (`invalid_blocks` with Slack-style messages) and over-long text (`msg_too_long`).
   */
  private messageContent(args: Args): { text?: string; blocks?: unknown[]; attachments?: unknown[] } | (ApiResult & { error: SlackErrorCode }) {
    const out: { text?: string; blocks?: unknown[]; attachments?: unknown[] } = {};
    const blocks = jsonArg(args, 'blocks');
    if (blocks.kind === 'bad' || (blocks.kind === 'ok' && !Array.isArray(blocks.value))) {
      return { ok: false, error: 'invalid_blocks_format' };
    }
    if (blocks.kind === 'ok' && Array.isArray(blocks.value)) {
      const result = validateBlocks(blocks.value);
      if (!result.ok) {
        return {
          ok: false,
          error: 'invalid_blocks',
          errors: result.errors.map((e) => e.replace(/^\[ERROR\] /, '')),
          response_metadata: { messages: result.errors },
        };
      }
      out.blocks = blocks.value;
    }
    const attachments = jsonArg(args, 'attachments');
    if (attachments.kind === 'bad' || (attachments.kind === 'ok' && !Array.isArray(attachments.value))) {
      return { ok: false, error: 'invalid_attachments' };
    }
    if (attachments.kind === 'ok' && Array.isArray(attachments.value)) out.attachments = attachments.value;
    const text = str(args, 'text');
    if (text !== undefined) {
      if (text.length > BLOCK_KIT_LIMITS.messageText) return { ok: false, error: 'msg_too_long' };
      out.text = text;
    }
    return out;
  }

  /** Slack fills in a block_id for every block and an action_id for every element lacking one. */
  private withGeneratedIds(blocks: unknown[]): unknown[] {
    const fill = (el: unknown): unknown => {
      if (!isRecord(el) || typeof el.type !== 'string' || el.type === 'image') return el;
      return el.action_id === undefined ? { ...el, action_id: this.shortId() } : el;
    };
    return clone(blocks).map((block) => {
      if (!isRecord(block)) return block;
      const out: Record<string, unknown> = { ...block };
      if (out.block_id === undefined) out.block_id = this.shortId();
      if (out.type === 'actions' && Array.isArray(out.elements)) out.elements = out.elements.map(fill);
      if (out.type === 'section' && out.accessory !== undefined) out.accessory = fill(out.accessory);
      if (out.type === 'input' && out.element !== undefined) out.element = fill(out.element);
      return out;
    });
  }

  private shortId(): string {
    return `e${(++this.seq).toString(36)}`;
  }

  private withoutChannel(m: SlackMessage): Omit<SlackMessage, 'channel'> {
    const { channel: _channel, ...rest } = clone(m);
    return rest;
  }

  private channelSnapshot(c: ChannelState): EmulatedChannel {
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

  private channelObject(c: ChannelState): Record<string, unknown> {
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
      is_member: c.members.has(this.botUserId),
      context_team_id: this.teamId,
      topic,
      purpose: { ...topic },
      previous_names: [],
    };
  }

  private userObject(u: EmulatedUser): Record<string, unknown> {
    return {
      id: u.id,
      team_id: this.teamId,
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
      updated: this.nowSeconds(),
      profile: {
        real_name: u.real_name,
        real_name_normalized: u.real_name,
        display_name: u.name,
        display_name_normalized: u.name,
        team: this.teamId,
        ...(u.email !== undefined ? { email: u.email } : {}),
        ...(u.id === this.botUserId ? { bot_id: this.botId, api_app_id: this.appId } : {}),
      },
    };
  }

  private fileObject(f: UploadedFile): Record<string, unknown> {
    const origin = this.requireOrigin();
    return {
      id: f.id,
      created: this.nowSeconds(),
      timestamp: this.nowSeconds(),
      name: f.filename,
      title: f.title,
      mimetype: 'application/octet-stream',
      filetype: f.filename.includes('.') ? (f.filename.split('.').pop() ?? 'binary') : 'binary',
      user: this.botUserId,
      size: f.content?.length ?? f.length,
      url_private: `${origin}/files/${f.id}/${encodeURIComponent(f.filename)}`,
      permalink: `https://${this.teamDomain}.slack.com/files/${this.botUserId}/${f.id}/${encodeURIComponent(f.filename)}`,
      channels: [...f.channels],
    };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError('body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Query string plus body: form-encoded (what WebClient sends), JSON, or multipart. */
async function parseArgs(req: IncomingMessage, query: URLSearchParams, body: Buffer): Promise<{ args: Args; json: boolean } | { error: SlackErrorCode }> {
  const args: Args = Object.fromEntries(query);
  const contentType = req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) return { args, json: false };
  if (mediaType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return { error: 'invalid_json' };
    }
    if (!isRecord(parsed)) return { error: 'invalid_json' };
    return { args: { ...args, ...parsed }, json: true };
  }
  if (mediaType === 'multipart/form-data') {
    try {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
      for (const [key, value] of form.entries()) {
        args[key] = typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer());
      }
    } catch {
      return { error: 'invalid_form_data' };
    }
    return { args, json: false };
  }
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) args[key] = value;
  return { args, json: false };
}

function argsForLog(args: Args): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === 'token') continue;
    if (Buffer.isBuffer(value)) {
      out[key] = `<${value.length} bytes>`;
      continue;
    }
    if ((JSON_FIELDS as readonly string[]).includes(key) && typeof value === 'string') {
      const parsed = jsonArg(args, key);
      out[key] = parsed.kind === 'ok' ? parsed.value : value;
      continue;
    }
    out[key] = value;
  }
  return structuredClone(out);
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
