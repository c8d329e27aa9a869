/**
 * The emulator's Socket Mode side, as Slack runs it: `apps.connections.open` mints a one-use
 * `ws://…/link/?ticket=…` URL; a client that connects gets `hello`; each envelope must be
 * acknowledged with its `envelope_id` within the ack timeout (Slack: 3 s) or it is delivered
 * again with `retry_attempt` + 1 and `retry_reason: "timeout"`, up to three retries; `disconnect`
 * (`refresh_requested`, `warning`, …) asks the client to reconnect. Test hooks drop acks and force
 * a disconnect.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { acceptsResponsePayload, type Envelope, type EnvelopeType } from './envelope.js';

export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

/** What became of one delivered envelope. */
export interface SocketDelivery {
  envelopeId: string;
  type: EnvelopeType;
  /** Sends made: 1 when the first was acknowledged. */
  attempts: number;
  acked: boolean;
  /** The ack's `payload` (a slash command's reply, a view submission's `response_action`). */
  response?: unknown;
}

/** One send of an envelope or one thing the server saw, oldest first (for tests and failure messages). */
export type SocketEvent =
  | { kind: 'connected'; connection: number }
  | { kind: 'closed'; connection: number }
  | { kind: 'sent'; connection: number; envelopeId: string; type: EnvelopeType; retryAttempt: number }
  | { kind: 'acked'; connection: number; envelopeId: string }
  | { kind: 'ack_dropped'; connection: number; envelopeId: string }
  | { kind: 'disconnect_sent'; connection: number; reason: DisconnectReason };

export interface SocketModeOptions {
  appId: string;
  /** How long an envelope waits for its ack before it is sent again (Slack: 3 s). */
  ackTimeoutMs: number;
  /** Redeliveries after the first send (Slack: 3). */
  maxRetries: number;
  onEvent: (event: SocketEvent) => void;
}

const TICKET_TTL_MS = 30_000;
/** Slack pings its clients; the client times out a server that stops (serverPingTimeout, 30 s). */
const PING_INTERVAL_MS = 10_000;

export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, number>();
  private readonly open = new Map<number, WebSocket>();
  private readonly waiting = new Map<string, (response: unknown) => void>();
  private readonly log: SocketEvent[] = [];
  private nextConnection = 1;
  private acksToDrop = 0;

  constructor(private readonly opts: SocketModeOptions) {}

  /** `apps.connections.open`: a URL on `origin` (the emulator's `http://host:port`) good for one connection. */
  mintUrl(origin: string): string {
    const ticket = randomUUID();
    this.tickets.set(ticket, Date.now() + TICKET_TTL_MS);
    return `${origin.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.opts.appId}`;
  }

  /** Takes an HTTP upgrade to `/link/?ticket=…`; false when it is not one (the caller refuses it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    if (url.pathname !== '/link/') return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    const expires = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (expires === undefined || expires < Date.now()) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  get connectionCount(): number {
    return this.open.size;
  }

  get events(): readonly SocketEvent[] {
    return this.log;
  }

  /** The next `count` acks the client sends are lost on the way (the envelopes are then redelivered). */
  dropNextAcks(count = 1): void {
    this.acksToDrop += count;
  }

  /** Sends `disconnect` to every open connection; returns how many were told. */
  disconnect(reason: DisconnectReason = 'refresh_requested'): number {
    for (const [id, ws] of this.open) {
      ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'slack-emulator' } }));
      this.record({ kind: 'disconnect_sent', connection: id, reason });
    }
    return this.open.size;
  }

  /**
   * Delivers one envelope to an open connection (the newest) and waits for its ack; unacknowledged
   * (or with no connection open) it is sent again after the ack timeout, as Slack retries.
   */
  async deliver(type: EnvelopeType, payload: Record<string, unknown>): Promise<SocketDelivery> {
    const envelopeId = randomUUID();
    for (let attempt = 0; attempt <= this.opts.maxRetries; attempt++) {
      const envelope: Envelope = {
        envelope_id: envelopeId, type, payload, accepts_response_payload: acceptsResponsePayload(type, payload),
        retry_attempt: attempt, retry_reason: attempt === 0 ? '' : 'timeout',
      };
      const acked = await this.sendAndWait(envelope);
      if (acked) return { envelopeId, type, attempts: attempt + 1, acked: true, response: acked.response };
    }
    return { envelopeId, type, attempts: this.opts.maxRetries + 1, acked: false };
  }

  /** Closes every connection and forgets waiting envelopes. */
  close(): void {
    for (const ws of this.open.values()) ws.terminate();
    this.open.clear();
    this.wss.close();
  }

  private sendAndWait(envelope: Envelope): Promise<{ response: unknown } | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelope.envelope_id);
        resolve(undefined);
      }, this.opts.ackTimeoutMs);
      timer.unref();
      this.waiting.set(envelope.envelope_id, (response) => {
        clearTimeout(timer);
        this.waiting.delete(envelope.envelope_id);
        resolve({ response });
      });
      const newest = [...this.open.entries()].at(-1);
      if (!newest) return;
      const [id, ws] = newest;
      ws.send(JSON.stringify(envelope));
      this.record({ kind: 'sent', connection: id, envelopeId: envelope.envelope_id, type: envelope.type, retryAttempt: envelope.retry_attempt });
    });
  }

  private accept(ws: WebSocket): void {
    const id = this.nextConnection++;
    this.open.set(id, ws);
    this.record({ kind: 'connected', connection: id });
    const ping = setInterval(() => ws.ping(), PING_INTERVAL_MS);
    ping.unref();
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.onMessage(id, String(data));
    });
    ws.on('close', () => {
      clearInterval(ping);
      this.open.delete(id);
      this.record({ kind: 'closed', connection: id });
    });
    ws.on('error', () => ws.terminate());
    ws.send(JSON.stringify({
      type: 'hello', num_connections: this.open.size,
      debug_info: { host: 'slack-emulator', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: this.opts.appId },
    }));
  }

  /** Acks are `{ envelope_id, payload? }`; anything else from the client is ignored, as Slack does. */
  private onMessage(connection: number, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null || !('envelope_id' in message) || typeof message.envelope_id !== 'string') return;
    const envelopeId = message.envelope_id;
    const waiter = this.waiting.get(envelopeId);
    if (!waiter) return;
    if (this.acksToDrop > 0) {
      this.acksToDrop -= 1;
      this.record({ kind: 'ack_dropped', connection, envelopeId });
      return;
    }
    this.record({ kind: 'acked', connection, envelopeId });
    waiter('payload' in message ? message.payload : undefined);
  }

  private record(event: SocketEvent): void {
    this.log.push(event);
    this.opts.onEvent(event);
  }
}
