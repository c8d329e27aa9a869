/**
 * The load generator's side: a keep-alive HTTP client (node:http, so the client costs the
 * same against Backstop and against each baseline), a closed-loop throughput runner, and
 * percentiles.
 */
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  body: string;
  /** From just before the request was written to the last byte of the answer. */
  ms: number;
}

export class Client {
  private readonly agent: Agent;

  constructor(private readonly base: string, maxSockets = 64) {
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(path: string, body: string, headers: Record<string, string>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = request(`${this.base}${path}`, { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface ThroughputResult {
  requests: number;
  failed: number;
  seconds: number;
  perSecond: number;
  /** Load generator CPU use over the window (1.0 = one core busy): near 1 means the client, not the server, was the limit. */
  clientCpu: number;
  replies: string[];
}

/**
 * Closed loop: `concurrency` requests always in flight for `seconds`, each new request built by
 * `next(i)`. Counts only what completed inside the window.
 */
export async function closedLoop(client: Client, path: string, headers: Record<string, string>, next: (i: number) => string, concurrency: number, seconds: number): Promise<ThroughputResult> {
  const deadline = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let issued = 0;
  let done = 0;
  let failed = 0;
  const replies: string[] = [];
  const worker = async () => {
    while (performance.now() < deadline) {
      const r = await client.send(path, next(issued++), headers);
      if (r.status === 200) {
        done++;
        replies.push(r.body);
      } else {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { requests: done, failed, seconds: elapsed, perSecond: done / elapsed, clientCpu: (cpu.user + cpu.system) / 1e6 / elapsed, replies };
}

/** Nearest-rank percentile. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function latency(samples: readonly number[]): Latency {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}
