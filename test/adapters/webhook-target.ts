import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/adapters/http-webhook/adapter.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

/** What the next requests get: normal deploy-system behaviour, a canned answer, or silence. */
export type TargetMode = { kind: 'normal' } | { kind: 'answer'; status: number; body?: string; headers?: Record<string, string> } | { kind: 'hang' };

/**
 * A stand-in deploy system on 127.0.0.1 following docs/http-webhook.md: verifies Backstop's
 * signature, keeps its own current/lastGood, honours Idempotency-Key, refuses with 409
 * `target_moved` when it no longer serves `expectedFrom`, and records every request.
 */
export class WebhookTarget {
  readonly requests: RecordedRequest[] = [];
  mode: TargetMode = { kind: 'normal' };
  current: string;
  lastGood: string | null;
  deployedAt = '2025-03-01T11:00:00.000Z';
  moves = 0;
  private readonly applied = new Map<string, string>();
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly secret: string,
    readonly known: Set<string>,
    seed: { current: string; lastGood: string | null },
  ) {
    this.current = seed.current;
    this.lastGood = seed.lastGood;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/rollback`;
  }

  get versionsUrl(): string {
    return `http://127.0.0.1:${this.port}/versions`;
  }

  /** CI deploys `version` without Backstop knowing. */
  deploy(version: string): void {
    this.known.add(version);
    this.lastGood = this.current;
    this.current = version;
  }

  get rollbackRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/rollback');
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const ts = req.headers['x-backstop-timestamp'];
        const sig = req.headers['x-backstop-signature'];
        const signatureValid = typeof ts === 'string' && typeof sig === 'string' && verifyWebhookSignature(this.secret, ts, raw, sig);
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: raw.toString('utf8'), signatureValid });
        const mode = this.mode;
        if (mode.kind === 'hang') return;
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(typeof body === 'string' ? body : JSON.stringify(body));
        };
        if (mode.kind === 'answer') return send(mode.status, mode.body ?? '', mode.headers);
        if (!signatureValid) return send(401, { message: 'bad signature' });
        if (req.method === 'GET' && req.url === '/versions') {
          return send(200, { current: this.current, lastGood: this.lastGood, deployedAt: this.deployedAt });
        }
        if (req.method === 'POST' && req.url === '/rollback') {
          const body = JSON.parse(raw.toString('utf8')) as { to?: unknown; expectedFrom?: unknown };
          const to = typeof body.to === 'string' ? body.to : '';
          const key = req.headers['idempotency-key'];
          if (typeof key !== 'string') return send(400, { message: 'missing Idempotency-Key' });
          const done = this.applied.get(key);
          if (done !== undefined) return send(200, { version: done, alreadyApplied: true });
          // Checked and applied in one step, so nothing deploys in between.
          if (typeof body.expectedFrom === 'string' && body.expectedFrom !== this.current) return send(409, { error: 'target_moved', current: this.current });
          if (!this.known.has(to)) return send(422, { message: `unknown version ${to}` });
          this.applied.set(key, to);
          this.lastGood = null;
          this.current = to;
          this.moves++;
          return send(200, { version: to });
        }
        return send(404, { message: 'no such route' });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
