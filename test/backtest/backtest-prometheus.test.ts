import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_AT, examplePolicy, runCli } from './support.js';

/** A Prometheus that answers query_range from a formula: accuracy drops at 10:05, latency is flat. */
let server: Server;
const asked: URLSearchParams[] = [];
let policy: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    asked.push(url.searchParams);
    const q = url.searchParams.get('query') ?? '';
    if (url.pathname !== '/api/v1/query_range' || q.includes('broken')) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
      return;
    }
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    const step = Number(url.searchParams.get('step'));
    const values: [number, string][] = [];
    for (let t = start; t <= end; t += step) {
      const afterDrop = t >= Date.parse('2025-03-04T10:05:00Z') / 1000;
      values.push([t, q.includes('accuracy') ? (afterDrop ? '0.8' : '0.93') : '0.21']);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const dir = mkdtempSync(join(tmpdir(), 'backstop-backtest-prom-'));
  policy = join(dir, 'policy.yaml');
  writeFileSync(policy, examplePolicy([['http://prometheus:9090', `http://127.0.0.1:${(server.address() as AddressInfo).port}`]]));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('backstop backtest --from/--to', () => {
  it('fetches the history from the policy\'s Prometheus at the service\'s interval and replays it', async () => {
    const r = await runCli(['backtest', '--policy', policy, '--service', 'fraud-scorer', '--from', '2025-03-04T09:30:00Z', '--to', '2025-03-04T10:20:00Z', '--deploy-at', DEPLOY_AT, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { events: { at: string; type: string }[] };
    expect(out.events.find((e) => e.type === 'trigger')?.at).toBe('2025-03-04T10:07:00.000Z');
    expect(asked.every((p) => p.get('step') === '60')).toBe(true);
  });

  it('says which SLI could not be fetched, with exit 1', async () => {
    const broken = policy.replace('.yaml', '-broken.yaml');
    writeFileSync(broken, examplePolicy([['http://prometheus:9090', `http://127.0.0.1:${(server.address() as AddressInfo).port}`], ['avg_over_time(fraud_scorer_accuracy[5m])', 'broken(']]));
    const r = await runCli(['backtest', '--policy', broken, '--service', 'fraud-scorer', '--from', '2025-03-04T09:30:00Z', '--to', '2025-03-04T10:20:00Z', '--deploy-at', DEPLOY_AT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot fetch the history: accuracy: query_range');
    expect(r.stderr).toContain('bad_data: parse error');
  });
});
