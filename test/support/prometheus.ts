import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning, stopChild, track } from './children.js';

/** Debian's `prometheus` package (2.42) installs both. */
export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';

export function prometheusInstalled(): boolean {
  return existsSync(PROMETHEUS_BIN) && existsSync(PROMTOOL_BIN);
}

const MINUTE = 60;

/** Requests per minute in the generated history, as in the capture (0.5 % errors, then ~9 %). */
export const FRAUD_SCORER_TRAFFIC = {
  before: { ok: 6000, errors: 30 },
  after: { ok: 6000, errors: 600 },
} as const;

export interface FraudScorerHistory {
  /** OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`. */
  openMetrics: string;
  /** First and last sample. */
  from: Date;
  to: Date;
  /** v42 went live: samples at or after this are the bad version. */
  deployedAt: Date;
}

/**
 * Three hours of 1-minute samples ending at `end` (whole seconds), relative to it:
 * `model_accuracy{model="fraud-scorer"}` is 0.91 until one hour before `end` and 0.80 after;
 * `http_requests_total{job="fraud-scorer",code="200"|"500"}` counters move from 0.5 % to ~9 % errors.
 */
export function fraudScorerHistory(end: Date, hours = 3): FraudScorerHistory {
  const last = Math.floor(end.getTime() / 1000);
  const first = last - hours * 60 * MINUTE;
  const deployed = last - 60 * MINUTE;
  const times: number[] = [];
  for (let t = first; t <= last; t += MINUTE) times.push(t);

  const lines = ['# HELP model_accuracy Online accuracy of the served model.', '# TYPE model_accuracy gauge'];
  for (const t of times) lines.push(`model_accuracy{model="fraud-scorer"} ${t < deployed ? '0.91' : '0.8'} ${t}`);

  lines.push('# HELP http_requests_total Requests served.', '# TYPE http_requests_total counter');
  let ok = 0;
  let errors = 0;
  for (const t of times) {
    if (t > first) {
      const rate = t <= deployed ? FRAUD_SCORER_TRAFFIC.before : FRAUD_SCORER_TRAFFIC.after;
      ok += rate.ok;
      errors += rate.errors;
    }
    lines.push(`http_requests_total{job="fraud-scorer",code="200"} ${ok} ${t}`);
    lines.push(`http_requests_total{job="fraud-scorer",code="500"} ${errors} ${t}`);
  }
  lines.push('# EOF');
  return { openMetrics: `${lines.join('\n')}\n`, from: new Date(first * 1000), to: new Date(last * 1000), deployedAt: new Date(deployed * 1000) };
}

export interface RealPrometheus {
  readonly baseUrl: string;
  readonly dataDir: string;
  /** Whether the server process is still running. */
  readonly running: boolean;
  /** The server's log so far (stderr), for failure messages. */
  log(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); the data stays until `dispose`. */
  stop(): Promise<void>;
  /** Stops the server and deletes its data. */
  dispose(): Promise<void>;
}

/**
 * Backfills `openMetrics` into a fresh TSDB with promtool, serves it from a real Prometheus with
 * no scrape targets on a free loopback port, and resolves once `/-/ready` answers 200.
 */
export async function startPrometheus(openMetrics: string, opts: { readyTimeoutMs?: number } = {}): Promise<RealPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'backstop-prom-'));
  try {
    const input = join(dir, 'history.om');
    const config = join(dir, 'prometheus.yml');
    const dataDir = join(dir, 'data');
    await writeFile(input, openMetrics);
    await writeFile(config, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
    await run(PROMTOOL_BIN, ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir]);

    // A free port can be taken between probing and binding: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        return await serve({ dir, dataDir, config, port, readyTimeoutMs: opts.readyTimeoutMs ?? 10_000 });
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function serve(o: { dir: string; dataDir: string; config: string; port: number; readyTimeoutMs: number }): Promise<RealPrometheus> {
  const baseUrl = `http://127.0.0.1:${o.port}`;
  // Tracked: killed when the test worker ends (even by SIGTERM), if no afterAll got to dispose of it.
  const child = track(spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${o.config}`,
      `--storage.tsdb.path=${o.dataDir}`,
      '--storage.tsdb.retention.time=30d',
      `--web.listen-address=127.0.0.1:${o.port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  ));
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const stop = (): Promise<void> => stopChild(child, 5_000);

  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    if (spawnError !== undefined || !isRunning(child)) {
      await stop();
      throw new Error(`prometheus exited before it was ready${spawnError ? `: ${spawnError.message}` : ''}\n${output}`);
    }
    if (await isReady(baseUrl)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within ${o.readyTimeoutMs} ms\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    baseUrl,
    dataDir: o.dataDir,
    get running() {
      return isRunning(child);
    },
    log: () => output,
    stop,
    async dispose() {
      await stop();
      await rm(o.dir, { recursive: true, force: true });
    },
  };
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `bin` to completion; SIGKILLed if it takes longer than `timeoutMs`. */
function run(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' }));
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${bin} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}
