/**
 * A local Slack Web API emulator. The real bot (Bolt / WebClient pointed at `url` through
 * `clientOptions.slackApiUrl`) talks to it over HTTP; tests seed users and channels, inspect what
 * the bot posted, and inject faults. It answers the way Slack does, so a test fails where Slack
 * would: unknown channels, invalid blocks, missing threads, wrong tokens, rate limits.
 *
 * This class is only the front: the workspace model is in workspace.ts and messages.ts, the
 * Web API methods in methods/, the HTTP layer in http/.
 */
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { CallLog } from './call-log.js';
import { describe } from './describe.js';
import { Faults } from './faults.js';
import type { EmulatorContext } from './http/context.js';
import { close, listen } from './http/server.js';
import { isTopLevel, findThreadParent, threadOf } from './messages.js';
import { appsMethods } from './methods/apps.js';
import { webApiMethods } from './methods/index.js';
import { mintResponseUrl } from './methods/response-url.js';
import { mintTriggerId } from './methods/views.js';
import { resolveOptions } from './options.js';
import * as seed from './seed.js';
import { channelSnapshot } from './serialise.js';
import { envelopeContent } from './socket-mode/envelope.js';
import { SocketModeServer, type DisconnectReason, type SocketDelivery, type SocketEvent } from './socket-mode/server.js';
import type {
  AddChannelInput,
  AddMessageInput,
  AddUserInput,
  AddUsergroupInput,
  ApiCall,
  ChangeEvent,
  EmulatedChannel,
  EmulatedUser,
  EmulatedUsergroup,
  EphemeralMessage,
  Fault,
  OpenedView,
  ResponseUrlOptions,
  SlackEmulatorOptions,
  SlackMessage,
  UploadedFile,
} from './types.js';
import { Workspace } from './workspace.js';

export class SlackEmulator extends EventEmitter<{ change: [ChangeEvent] }> {
  readonly botToken: string;
  /** The app-level token Socket Mode connects with (`apps.connections.open`). */
  readonly appToken: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly teamName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly botName: string;

  private readonly ws: Workspace;
  private readonly callLog: CallLog;
  private readonly faults = new Faults();
  private readonly context: EmulatorContext;
  private readonly socket: SocketModeServer;
  private server: Server | undefined;

  constructor(options: SlackEmulatorOptions = {}) {
    super();
    const { identity, settings } = resolveOptions(options);
    this.botToken = identity.botToken;
    this.appToken = identity.appToken;
    this.teamId = identity.teamId;
    this.teamDomain = identity.teamDomain;
    this.teamName = identity.teamName;
    this.botUserId = identity.botUserId;
    this.botId = identity.botId;
    this.appId = identity.appId;
    this.botName = identity.botName;
    const changed = (event: ChangeEvent): void => void this.emit('change', event);
    this.ws = new Workspace(identity, settings, changed);
    this.callLog = new CallLog(settings.clock, changed);
    this.socket = new SocketModeServer({ appId: identity.appId, ackTimeoutMs: settings.socketAckTimeoutMs, maxRetries: 3, onEvent: (event) => changed({ kind: 'socket', event }) });
    this.context = { ws: this.ws, methods: { ...webApiMethods(this.ws), ...appsMethods(this.ws, this.socket) }, faults: this.faults, calls: this.callLog, socket: this.socket };
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /** Starts listening; `url` is the Web API base to give WebClient (`http://host:port/api/`). */
  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new Error('SlackEmulator already started');
    const { server, origin } = await listen(this.context, port, host);
    this.server = server;
    this.ws.origin = origin;
    return { url: this.url };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.socket.close();
    await close(server);
  }

  /** The Web API base URL, ending in `/api/`. */
  get url(): string {
    return `${this.ws.requireOrigin()}/api/`;
  }

  // ------------------------------------------------------------------------------------------
  // Seeding

  addUser(input: AddUserInput): EmulatedUser {
    return seed.addUser(this.ws, input);
  }

  addChannel(input: AddChannelInput): EmulatedChannel {
    return seed.addChannel(this.ws, input);
  }

  addUsergroup(input: AddUsergroupInput): EmulatedUsergroup {
    return seed.addUsergroup(this.ws, input);
  }

  /** Seeds a message from a human (e.g. a reply in a thread); returns it. */
  addMessage(channelId: string, input: AddMessageInput): SlackMessage {
    return seed.addMessage(this.ws, channelId, input);
  }

  /** Mints a trigger id `views.open` accepts once, within the trigger lifetime. */
  triggerId(userId?: string): string {
    return mintTriggerId(this.ws, userId);
  }

  /** Mints a response_url for an interaction by `userId` in `channelId` (needs a started server). */
  responseUrl(channelId: string, userId: string, options: ResponseUrlOptions = {}): string {
    return mintResponseUrl(this.ws, channelId, userId, options);
  }

  /** Makes the next `times` calls of `method` (or `*` for any) fail as given. */
  failNext(method: string, fault: Fault, times = 1): void {
    this.faults.add(method, fault, times);
  }

  // ------------------------------------------------------------------------------------------
  // Socket Mode

  /**
   * Delivers over Socket Mode what Slack would have POSTed in HTTP mode (a form body: an
   * interaction's `payload=…` or a slash command's fields; or an event callback's JSON), and
   * resolves once it is acknowledged or Slack would give up (three redeliveries).
   */
  deliverOverSocket(httpBody: string): Promise<SocketDelivery> {
    const { type, payload } = envelopeContent(httpBody);
    return this.socket.deliver(type, payload);
  }

  /** Open Socket Mode connections. */
  get socketConnections(): number {
    return this.socket.connectionCount;
  }

  /** Every Socket Mode connection, send, ack and disconnect, oldest first. */
  get socketEvents(): SocketEvent[] {
    return structuredClone([...this.socket.events]);
  }

  /** Test hook: the next `count` acks from the bot are lost, so their envelopes are redelivered. */
  dropNextSocketAcks(count = 1): void {
    this.socket.dropNextAcks(count);
  }

  /** Test hook: sends `disconnect` with `reason` to every connection; returns how many were told. */
  disconnectSockets(reason: DisconnectReason = 'refresh_requested'): number {
    return this.socket.disconnect(reason);
  }

  // ------------------------------------------------------------------------------------------
  // Inspection

  /** Every request received, oldest first. */
  get calls(): readonly ApiCall[] {
    return structuredClone(this.callLog.entries);
  }

  /**
   * Messages in a channel (every channel if omitted), oldest first, thread replies included (they
   * carry `thread_ts`). `topLevel` keeps only what the channel itself shows.
   */
  messages(channelId?: string, options: { topLevel?: boolean } = {}): SlackMessage[] {
    const channels = channelId === undefined ? [...this.ws.channels.values()] : [this.ws.channels.get(channelId)].filter((c) => c !== undefined);
    const all = channels.flatMap((c) => c.messages).sort((a, b) => Number(a.ts) - Number(b.ts));
    const shown = options.topLevel ? all.filter(isTopLevel) : all;
    return structuredClone(shown);
  }

  /** A thread: the parent first, then its replies in order ([] if there is no such message). */
  thread(channelId: string, ts: string): SlackMessage[] {
    const channel = this.ws.channels.get(channelId);
    if (!channel) return [];
    const parent = findThreadParent(channel, ts);
    if (!parent) return [];
    return structuredClone(threadOf(channel, parent));
  }

  /** Ephemeral messages, optionally only those shown to `userId`. */
  ephemerals(userId?: string): EphemeralMessage[] {
    const all = this.ws.ephemerals;
    return structuredClone(userId === undefined ? all : all.filter((e) => e.user === userId));
  }

  views(): OpenedView[] {
    return structuredClone(this.ws.views);
  }

  files(): UploadedFile[] {
    return [...this.ws.files.values()].map((f) => ({ ...f, channels: [...f.channels], content: f.content ? Buffer.from(f.content) : null }));
  }

  /** Every user group, in creation order. */
  listUsergroups(): EmulatedUsergroup[] {
    return [...this.ws.usergroups.values()].map((g) => ({ ...g, users: [...g.users] }));
  }

  /** Every channel, in creation order. */
  listChannels(): EmulatedChannel[] {
    return [...this.ws.channels.values()].map(channelSnapshot);
  }

  channel(idOrName: string): EmulatedChannel | undefined {
    const c = this.ws.channels.get(idOrName) ?? this.ws.channelByName(idOrName.replace(/^#/, ''));
    return c ? channelSnapshot(c) : undefined;
  }

  user(id: string): EmulatedUser | undefined {
    const u = this.ws.users.get(id);
    return u ? structuredClone(u) : undefined;
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
    return describe(this.ws, this.callLog.entries);
  }
}
