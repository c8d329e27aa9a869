/**
 * Bolt's transport in Socket Mode, as our own `Receiver`: Bolt's SocketModeClient speaks the
 * protocol (apps.connections.open, hello, acks, pings), and this class decides what Bolt's
 * receiver leaves to chance:
 *
 * - **Start never waits on Slack**: `start()` returns at once; the connection is made in the
 *   background and retried with backoff however long Slack takes to answer.
 * - **Prompt reconnect**: after a `disconnect` (or a dropped socket) the next connection is opened
 *   at once, not after the client's ping timeout.
 * - **Redeliveries are not processed twice**: an envelope id seen before (a lost ack, redelivered
 *   with `retry_attempt` 1) is acknowledged and dropped before anything runs, through the same
 *   replay guard the HTTP mode uses (shared by replicas on PostgreSQL).
 * - **State for readiness**: connected or not, since when, and why not.
 */
import { SocketModeReceiver, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../ports/clock.js';
import type { SeenRequestRepository } from '../ports/store.js';
import { boltLogger } from './bolt-logger.js';

export interface SocketState {
  connected: boolean;
  /** When the connection was made or lost (ISO). */
  since: string;
  /** Why it is not connected: the last failure, or that the first attempt is under way. */
  reason?: string;
}

export interface SocketReceiverOptions {
  appToken: string;
  /** The Web API base `apps.connections.open` is called on (SLACK_API_URL). */
  slackApiUrl?: string;
  seen: SeenRequestRepository;
  clock: Clock;
  log: Logger;
  /** Per Web API request (apps.connections.open); a Slack that answers nothing is given up on after this. */
  requestTimeoutMs?: number;
  /** First wait after a failed connection attempt, doubling up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

type SocketClient = SocketModeReceiver['client'];
interface SlackEventArgs {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id: string;
  type: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

export class SocketReceiver implements Receiver {
  private readonly client: SocketClient;
  private app: App | undefined;
  private stopped = true;
  private connecting = false;
  private wake: (() => void) | undefined;
  private current: SocketState;

  constructor(private readonly opts: SocketReceiverOptions) {
    this.current = { connected: false, since: opts.clock.now().toISOString(), reason: 'not connected yet' };
    // Bolt's receiver is used only to build its client: it is never init()ed, so its own event
    // handler finds no app and does nothing; ours below dedupes first, then hands the event to Bolt.
    this.client = new SocketModeReceiver({
      appToken: opts.appToken,
      logger: boltLogger(opts.log),
      // Reconnecting is ours (at once, then backoff); the client's would wait its ping timeout.
      autoReconnectEnabled: false,
      installerOptions: { clientOptions: { slackApiUrl: opts.slackApiUrl, retryConfig: { retries: 0 }, timeout: opts.requestTimeoutMs ?? 30_000 } },
    }).client;
    this.client.on('slack_event', (args: SlackEventArgs) => void this.onEnvelope(args));
    this.client.on('connected', () => this.setState({ connected: true }));
    this.client.on('disconnected', () => {
      if (this.current.connected) this.setState({ connected: false, reason: 'the connection closed; reconnecting' });
      if (!this.stopped && !this.connecting) void this.connect();
    });
  }

  init(app: App): void {
    this.app = app;
  }

  /** Returns at once; the connection is made (and kept) in the background. */
  start(): Promise<void> {
    this.stopped = false;
    void this.connect();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    // A close handshake Slack never completes must not hold up shutdown.
    await Promise.race([this.client.disconnect(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  get state(): SocketState {
    return { ...this.current };
  }

  private setState(next: { connected: boolean; reason?: string }): void {
    this.current = { connected: next.connected, since: this.opts.clock.now().toISOString(), ...(next.reason ? { reason: next.reason } : {}) };
    if (next.connected) this.opts.log.info('Socket Mode connected');
    else this.opts.log.warn({ reason: next.reason }, 'Socket Mode not connected');
  }

  /** Connects, retrying with backoff until connected or stopped. */
  private async connect(): Promise<void> {
    if (this.connecting) return;
    this.connecting = true;
    let failures = 0;
    try {
      while (!this.stopped) {
        try {
          await this.client.start();
          // Stopped while connecting: the connection just made is not kept.
          if (this.stopped) await this.client.disconnect();
          return;
        } catch (err) {
          failures += 1;
          const wait = Math.min(this.opts.maxBackoffMs ?? 30_000, (this.opts.backoffMs ?? 500) * 2 ** (failures - 1));
          this.setState({ connected: false, reason: `cannot connect (attempt ${failures}, next in ${Math.round(wait / 100) / 10} s): ${errorText(err)}` });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            timer.unref();
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  private async onEnvelope(args: SlackEventArgs): Promise<void> {
    const log = this.opts.log.child({ envelopeId: args.envelope_id, envelopeType: args.type });
    let acked = false;
    const ack = async (response?: Record<string, unknown>): Promise<void> => {
      if (acked) return;
      acked = true;
      await args.ack(response);
    };
    try {
      // Before anything runs: an envelope delivered again (its ack was lost) is acknowledged, not handled again.
      if (!(await this.opts.seen.remember(`socket-envelope:${args.envelope_id}`, this.opts.clock.now().toISOString()))) {
        log.info({ retryAttempt: args.retry_num, retryReason: args.retry_reason }, 'Socket Mode envelope delivered again; acknowledged, not handled twice');
        await ack();
        return;
      }
      const event: ReceiverEvent = { body: args.body, ack, retryNum: args.retry_num, retryReason: args.retry_reason, customProperties: {} };
      await this.app?.processEvent(event);
    } catch (err) {
      // It will not be handled on a redelivery either (its id is remembered): ack so Slack stops.
      log.error({ err }, 'Socket Mode envelope failed');
      await ack().catch(() => undefined);
    }
  }
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'data' in err && err.data && typeof err.data === 'object' && 'error' in err.data) return String(err.data.error);
  return err instanceof Error ? err.message : String(err);
}
