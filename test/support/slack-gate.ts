/**
 * A Slack Web API that answers nothing, until it does: an HTTP server in front of the emulator
 * that, while closed, accepts every request and holds it without a byte of answer (the worst
 * outage: no refusal, no error, just silence). `open()` forwards what is still waiting and
 * everything after it to the emulator.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class SlackGate {
  private readonly held: { req: IncomingMessage; res: ServerResponse; body: Buffer }[] = [];
  private isOpen = false;
  private server: Server | undefined;
  /** Requests that arrived while closed, by Web API method. */
  readonly heldMethods: string[] = [];

  constructor(private readonly upstream: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (this.isOpen) return void this.forward(req, res, body);
        this.heldMethods.push((req.url ?? '').replace(/^\/api\//, '').split('?')[0]!);
        this.held.push({ req, res, body });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  /** Slack answers again: held requests whose caller is still waiting go through, in arrival order. */
  open(): void {
    this.isOpen = true;
    for (const { req, res, body } of this.held.splice(0)) {
      if (!req.socket.destroyed) void this.forward(req, res, body);
    }
  }

  close(): void {
    this.isOpen = false;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    try {
      const path = (req.url ?? '/').replace(/^\/api\//, '');
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
      const answer = await fetch(new URL(path, this.upstream), { method: req.method, headers, body: req.method === 'GET' ? undefined : new Uint8Array(body) });
      const text = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k))));
      res.end(text);
    } catch {
      res.destroy();
    }
  }
}
