import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assessSli } from '../../src/domain/judge.js';
import type { SliSpec } from '../../src/domain/sli.js';
import type { SliContext } from '../../src/ports/sli-source.js';
import { PrometheusSliSource, type PrometheusSliSourceOptions } from '../../src/sli/prometheus-source.js';
import { fixtureText } from '../support/fixtures.js';

/** Real answers captured from Prometheus 2.42 (see test/fixtures/README.md). */
function fixture(name: string): string {
  return fixtureText(`prometheus/${name}`);
}

// The instants the captures were taken at.
const NOW = new Date(1795422642 * 1000);
const BASELINE_AT = new Date(1795419062 * 1000);
const ctx: SliContext = { service: 'fraud-scorer', now: NOW, baselineAt: BASELINE_AT, currentVersion: 'v42', baselineVersion: 'v41' };

const accuracy: SliSpec = { name: 'accuracy', source: 'prometheus', query: 'model_accuracy{model="fraud-scorer"}', comparator: 'lt', threshold: 0.85 };

interface SeenRequest {
  path: string;
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
}

type Reply = { status: number; body: string; contentType?: string } | 'hang';

/** A stand-in Prometheus on 127.0.0.1 that replays captured answers chosen per request. */
class FixtureServer {
  readonly seen: SeenRequest[] = [];
  reply: (req: SeenRequest) => Reply = () => ({ status: 200, body: fixture('vector-empty.json') });
  private server: Server | undefined;
  private pending: (() => void)[] = [];
  /** When set, answers are held until this many requests are in flight. */
  holdUntil = 0;

  get url(): string {
    const addr = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${addr.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      const seen = { path: u.pathname, params: u.searchParams, headers: req.headers };
      this.seen.push(seen);
      const answer = (): void => {
        const r = this.reply(seen);
        if (r === 'hang') return;
        res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/json' }).end(r.body);
      };
      this.pending.push(answer);
      if (this.pending.length >= this.holdUntil) for (const go of this.pending.splice(0)) go();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const ok = (name: string): Reply => ({ status: 200, body: fixture(name) });

describe('PrometheusSliSource against captured Prometheus answers', () => {
  let prom: FixtureServer;
  const source = (over: Partial<PrometheusSliSourceOptions> = {}): PrometheusSliSource =>
    new PrometheusSliSource({ baseUrl: prom.url, timeoutMs: 2_000, ...over });

  beforeEach(async () => {
    prom = await new FixtureServer().start();
  });

  afterEach(async () => {
    await prom.close();
  });

  it('reads the current and baseline accuracy and the domain calls the drop a breach', async () => {
    prom.reply = (r) => ok(r.params.get('time') === '1795422642' ? 'vector-accuracy-now.json' : 'vector-accuracy-baseline.json');
    const measured = await source().measure(accuracy, ctx);

    expect(measured).toEqual({ baseline: 0.91, current: 0.8 });
    expect(assessSli(accuracy, measured)).toMatchObject({ verdict: 'breach', reason: '0.8 < 0.85 (threshold)' });
  });

  it('asks /api/v1/query for the SLI query at now and at the baseline time, with a server-side timeout', async () => {
    await source({ timeoutMs: 2_000 }).measure(accuracy, ctx);

    expect(prom.seen.map((r) => r.path)).toEqual(['/api/v1/query', '/api/v1/query']);
    expect(prom.seen.map((r) => r.params.get('time')).sort()).toEqual(['1795419062', '1795422642']);
    for (const r of prom.seen) {
      expect(r.params.get('query')).toBe('model_accuracy{model="fraud-scorer"}');
      expect(r.params.get('timeout')).toBe('1800ms');
    }
  });

  it('sends both instant queries at once rather than one after the other', async () => {
    prom.holdUntil = 2; // neither is answered until both have arrived
    prom.reply = (r) => ok(r.params.get('time') === '1795422642' ? 'vector-accuracy-now.json' : 'vector-accuracy-baseline.json');
    expect(await source({ timeoutMs: 1_000 }).measure(accuracy, ctx)).toEqual({ baseline: 0.91, current: 0.8 });
  });

  it('sends time with millisecond precision', async () => {
    await source().measure(accuracy, { ...ctx, now: new Date(1795422642250) });
    expect(prom.seen.map((r) => r.params.get('time'))).toContain('1795422642.25');
  });

  it('keeps a base path and sends the configured headers', async () => {
    await source({ baseUrl: `${prom.url}/prometheus`, headers: { authorization: 'Bearer prom-token' } }).measure(accuracy, ctx);
    expect(prom.seen[0]?.path).toBe('/prometheus/api/v1/query');
    expect(prom.seen[0]?.headers.authorization).toBe('Bearer prom-token');
    expect(prom.seen[0]?.headers.accept).toBe('application/json');
  });

  it('reads a label-less vector such as an error ratio', async () => {
    prom.reply = () => ok('vector-error-ratio.json');
    const measured = await source().measure({ ...accuracy, query: 'sum(rate(a[5m])) / sum(rate(b[5m]))' }, ctx);
    expect(measured).toEqual({ baseline: 0.09090909090909091, current: 0.09090909090909091 });
  });

  it('reports an empty vector as no data, which the domain calls inconclusive', async () => {
    prom.reply = () => ok('vector-empty.json');
    const measured = await source().measure(accuracy, ctx);
    expect(measured).toEqual({ baseline: null, current: null });
    expect(assessSli(accuracy, measured)).toMatchObject({ verdict: 'no_data' });
  });

  it.each(['vector-nan.json', 'scalar-nan.json'])('reports NaN in %s as no data, never as a value', async (name) => {
    prom.reply = () => ok(name);
    const measured = await source().measure(accuracy, ctx);
    expect(measured).toEqual({ baseline: null, current: null });
    expect(assessSli(accuracy, measured)).toMatchObject({ verdict: 'no_data' });
  });

  it.each(['+Inf', '-Inf'])('reports %s as no data', async (inf) => {
    prom.reply = () => ({ status: 200, body: fixture('vector-nan.json').replace('"NaN"', `"${inf}"`) });
    expect(await source().measure(accuracy, ctx)).toEqual({ baseline: null, current: null });
  });

  it('reads a scalar result', async () => {
    prom.reply = () => ({ status: 200, body: fixture('scalar-nan.json').replace('"NaN"', '"0.25"') });
    expect(await source().measure({ ...accuracy, query: 'scalar(x)' }, ctx)).toEqual({ baseline: 0.25, current: 0.25 });
  });

  it('refuses a vector of several series and asks for aggregation', async () => {
    const now = JSON.parse(fixture('vector-accuracy-now.json'));
    const base = JSON.parse(fixture('vector-accuracy-baseline.json'));
    now.data.result.push(...base.data.result);
    prom.reply = () => ({ status: 200, body: JSON.stringify(now) });

    const measured = await source().measure(accuracy, ctx);
    expect(measured).toEqual({ error: 'query returned 2 series; aggregate it to one' });
    expect(assessSli(accuracy, measured)).toMatchObject({ verdict: 'error' });
  });

  it('refuses a range vector from an instant query', async () => {
    prom.reply = () => ok('matrix-accuracy-range.json');
    expect(await source().measure(accuracy, ctx)).toEqual({ error: expect.stringContaining('range vector') });
  });

  it('passes on a 400 bad_data answer as "<errorType>: <error>"', async () => {
    prom.reply = () => ({ status: 400, body: fixture('error-bad-query.json') });
    const measured = await source().measure({ ...accuracy, query: 'sum(rate(http_requests_total[5m]' }, ctx);
    expect(measured).toEqual({ error: 'bad_data: invalid parameter "query": 1:33: parse error: unclosed left parenthesis' });
    expect(assessSli(accuracy, measured)).toMatchObject({ verdict: 'error' });
  });

  it('passes on a 422 execution answer', async () => {
    prom.reply = () => ({ status: 422, body: fixture('error-many-to-many.json') });
    const measured = await source().measure(accuracy, ctx);
    expect(measured).toEqual({ error: expect.stringMatching(/^execution: found duplicate series for the match group .*many-to-many matching not allowed/) });
  });

  it('passes on a 503 query timeout', async () => {
    // Written as Prometheus words it; no capture of a slow query exists.
    prom.reply = () => ({ status: 503, body: '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}' });
    expect(await source().measure(accuracy, ctx)).toEqual({ error: 'timeout: query timed out in expression evaluation' });
  });

  it('treats an error envelope as an error even with HTTP 200', async () => {
    prom.reply = () => ({ status: 200, body: fixture('error-bad-query.json') });
    expect(await source().measure(accuracy, ctx)).toEqual({ error: expect.stringMatching(/^bad_data: /) });
  });

  it('reports a proxy error page without throwing', async () => {
    prom.reply = () => ({ status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' });
    expect(await source().measure(accuracy, ctx)).toEqual({ error: 'HTTP 502 from Prometheus, not JSON: <html><body><h1>502 Bad Gateway</h1></body></html>' });
  });

  it('reports JSON that is not the Prometheus envelope', async () => {
    prom.reply = () => ({ status: 200, body: '{"status":"success","data":{"resultType":"vector","result":[{"value":"0.8"}]}}' });
    expect(await source().measure(accuracy, ctx)).toEqual({ error: expect.stringContaining('unexpected body') });
  });

  it('says which query failed when only the baseline one did', async () => {
    prom.reply = (r) =>
      r.params.get('time') === '1795422642' ? ok('vector-accuracy-now.json') : { status: 422, body: fixture('error-many-to-many.json') };
    const measured = await source().measure(accuracy, ctx);
    expect(measured).toEqual({ error: expect.stringMatching(/^execution: .* \(baseline query\)$/) });
  });

  it('gives up after timeoutMs when Prometheus does not answer', async () => {
    prom.reply = () => 'hang';
    const started = Date.now();
    const measured = await source({ timeoutMs: 200 }).measure(accuracy, ctx);

    expect(measured).toEqual({ error: 'timeout: no answer from Prometheus within 200 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(assessSli(accuracy, measured)).toMatchObject({ verdict: 'error' });
  });

  it('reports a refused connection as an error', async () => {
    const url = prom.url;
    await prom.close();
    const measured = await new PrometheusSliSource({ baseUrl: url, timeoutMs: 2_000 }).measure(accuracy, ctx);
    expect(measured).toEqual({ error: expect.stringMatching(/^Prometheus unreachable: .*ECONNREFUSED/) });
    prom = await new FixtureServer().start(); // for afterEach
  });

  it('turns a failing injected fetch into an error and never leaks configured headers', async () => {
    const failing: typeof fetch = async () => {
      throw new Error('socket hang up');
    };
    const measured = await source({ fetch: failing, headers: { authorization: 'Bearer prom-token' } }).measure(accuracy, ctx);
    expect(measured).toEqual({ error: 'Prometheus unreachable: socket hang up' });
    expect(JSON.stringify(measured)).not.toContain('prom-token');
  });

  it('reports an SLI without a query as an error without calling Prometheus', async () => {
    const measured = await source().measure({ ...accuracy, query: undefined }, ctx);
    expect(measured).toEqual({ error: 'SLI "accuracy" has no PromQL query' });
    expect(prom.seen).toHaveLength(0);
  });

  describe('range', () => {
    const window = { start: new Date(1795415562 * 1000), end: new Date(1795422162 * 1000), stepSeconds: 600 };

    it('asks /api/v1/query_range with start, end and step', async () => {
      await source().range(accuracy, window);
      const [r] = prom.seen;
      expect(r?.path).toBe('/api/v1/query_range');
      expect(Object.fromEntries(r?.params ?? [])).toMatchObject({ query: accuracy.query, start: '1795415562', end: '1795422162', step: '600' });
    });

    it('gives one point per step and null where the series has no sample', async () => {
      // One series of the capture (v42), which starts halfway through the window.
      const captured = JSON.parse(fixture('matrix-accuracy-range.json'));
      captured.data.result = captured.data.result.slice(1);
      prom.reply = () => ({ status: 200, body: JSON.stringify(captured) });

      const out = await source().range(accuracy, window);
      expect(out).toEqual({
        points: [
          [1795415562, null], [1795416162, null], [1795416762, null], [1795417362, null], [1795417962, null], [1795418562, null],
          [1795419162, 0.8], [1795419762, 0.8], [1795420362, 0.8], [1795420962, 0.8], [1795421562, 0.8], [1795422162, 0.8],
        ],
      });
    });

    it('refuses a matrix of several series, as the captured per-version one', async () => {
      prom.reply = () => ok('matrix-accuracy-range.json');
      expect(await source().range(accuracy, window)).toEqual({ error: 'query returned 2 series; aggregate it to one' });
    });

    it('gives all-null points when nothing matched', async () => {
      prom.reply = () => ({ status: 200, body: '{"status":"success","data":{"resultType":"matrix","result":[]}}' });
      const out = await source().range(accuracy, { ...window, stepSeconds: 3300 });
      expect(out).toEqual({ points: [[1795415562, null], [1795418862, null], [1795422162, null]] });
    });

    it('passes on a PromQL error', async () => {
      prom.reply = () => ({ status: 400, body: fixture('error-bad-query.json') });
      expect(await source().range(accuracy, window)).toEqual({ error: expect.stringMatching(/^bad_data: /) });
    });

    it('refuses a window that ends before it starts without calling Prometheus', async () => {
      expect(await source().range(accuracy, { start: window.end, end: window.start, stepSeconds: 60 })).toEqual({ error: expect.stringContaining('invalid range') });
      expect(await source().range(accuracy, { ...window, stepSeconds: 0 })).toEqual({ error: expect.stringContaining('invalid range') });
      expect(prom.seen).toHaveLength(0);
    });
  });
});
