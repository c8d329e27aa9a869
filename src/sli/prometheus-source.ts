import { z } from 'zod';
import type { SliSpec } from '../domain/sli.js';
import type { SliContext, SliMeasurement, SliSource } from '../ports/sli-source.js';

export interface PrometheusSliSourceOptions {
  /** Prometheus root, e.g. `http://prometheus:9090` or `https://host/prometheus/` behind a proxy. */
  baseUrl: string;
  /** Budget for one HTTP request, body included; Prometheus gets a slightly shorter `timeout`. */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Sent with every request, e.g. `Authorization`. Never copied into error messages. */
  headers?: Record<string, string>;
}

export interface RangeWindow {
  start: Date;
  end: Date;
  stepSeconds: number;
}

/** `[unixSeconds, value]`; `null` is a step without data (no sample, NaN or ±Inf). */
export type RangePoint = [t: number, v: number | null];

export type RangeResult = { points: RangePoint[] } | { error: string };

/** One instant value; `null` is no data. */
export type InstantResult = { value: number | null } | { error: string };

// --- The HTTP API envelope (values are strings and may be "NaN", "+Inf", "-Inf"). ---

const samplePair = z.tuple([z.number(), z.string()]);
const labels = z.record(z.string(), z.string());

const resultData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: labels, value: samplePair })) }),
  z.object({ resultType: z.literal('scalar'), result: samplePair }),
  z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: labels, values: z.array(samplePair) })) }),
  z.object({ resultType: z.literal('string'), result: samplePair }),
]);

const envelope = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: resultData, warnings: z.array(z.string()).optional() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

type ResultData = z.infer<typeof resultData>;

/** Ratio of the request budget handed to Prometheus, so it can answer "timeout" before we abort. */
const SERVER_TIMEOUT_SHARE = 0.9;

/**
 * Reads SLIs from Prometheus with PromQL: an instant query at the baseline time and one at
 * `now`, and `query_range` for sparklines. Provider failures (HTTP errors, PromQL errors,
 * timeouts, refused connections, odd answers) come back as `{ error }`, never as exceptions.
 */
export class PrometheusSliSource implements SliSource {
  readonly kind = 'prometheus';
  private readonly root: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(opts: PrometheusSliSourceOptions) {
    this.root = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
    this.timeoutMs = opts.timeoutMs;
    this.fetchFn = opts.fetch ?? fetch;
    this.headers = { accept: 'application/json', ...opts.headers };
  }

  async measure(sli: SliSpec, ctx: SliContext): Promise<SliMeasurement> {
    const query = sli.query;
    if (query === undefined || query.trim() === '') return { error: `SLI "${sli.name}" has no PromQL query` };
    const [current, baseline] = await Promise.all([this.instant(query, ctx.now), this.instant(query, ctx.baselineAt)]);
    if ('error' in current) return current;
    if ('error' in baseline) return { error: `${baseline.error} (baseline query)` };
    return { baseline: baseline.value, current: current.value };
  }

  /** Evaluates `query` at one instant; it must yield one series or a scalar. */
  async instant(query: string, at: Date): Promise<InstantResult> {
    const answer = await this.get('api/v1/query', { query, time: unixSeconds(at) });
    if ('error' in answer) return answer;
    switch (answer.resultType) {
      case 'scalar':
        return sampleValue(answer.result[1]);
      case 'vector': {
        const [first, ...rest] = answer.result;
        if (first === undefined) return { value: null };
        if (rest.length > 0) return { error: manySeries(answer.result.length) };
        return sampleValue(first.value[1]);
      }
      case 'matrix':
        return { error: 'query returned a range vector; use an instant expression (no [range] selector)' };
      case 'string':
        return { error: 'query returned a string; expected a number' };
    }
  }

  /**
   * Evaluates `sli.query` over a window with `query_range`, one point per step from `start`
   * through `end`. Steps Prometheus left out (no sample in the lookback) are `null`, so a
   * sparkline shows the gap instead of joining across it.
   */
  async range(sli: SliSpec, window: RangeWindow): Promise<RangeResult> {
    const query = sli.query;
    if (query === undefined || query.trim() === '') return { error: `SLI "${sli.name}" has no PromQL query` };
    const { start, end, stepSeconds } = window;
    if (!(stepSeconds > 0) || !(end.getTime() >= start.getTime())) {
      return { error: `invalid range: start must not be after end and step must be positive (step ${stepSeconds}s)` };
    }
    const answer = await this.get('api/v1/query_range', {
      query,
      start: unixSeconds(start),
      end: unixSeconds(end),
      step: String(stepSeconds),
    });
    if ('error' in answer) return answer;
    if (answer.resultType !== 'matrix') return { error: `query_range returned a ${answer.resultType}; expected a matrix` };
    if (answer.result.length > 1) return { error: manySeries(answer.result.length) };

    const t0 = start.getTime() / 1000;
    const steps = Math.floor((end.getTime() / 1000 - t0) / stepSeconds + 1e-9) + 1;
    const points: RangePoint[] = Array.from({ length: steps }, (_, k) => [t0 + k * stepSeconds, null]);
    for (const [t, raw] of answer.result[0]?.values ?? []) {
      const point = points[Math.round((t - t0) / stepSeconds)];
      if (point === undefined) continue;
      const parsed = sampleValue(raw);
      if ('error' in parsed) return parsed;
      point[1] = parsed.value;
    }
    return { points };
  }

  /** One GET to the HTTP API, turned into the success payload or an `{ error }`. */
  private async get(path: string, params: Record<string, string>): Promise<ResultData | { error: string }> {
    const url = new URL(path, this.root);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    url.searchParams.set('timeout', `${Math.max(1, Math.floor(this.timeoutMs * SERVER_TIMEOUT_SHARE))}ms`);

    let status: number;
    let body: string;
    try {
      const res = await this.fetchFn(url, { method: 'GET', headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
      status = res.status;
      body = await res.text();
    } catch (err) {
      return { error: transportError(err, this.timeoutMs) };
    }

    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { error: `HTTP ${status} from Prometheus, not JSON: ${snippet(body)}` };
    }
    const parsed = envelope.safeParse(json);
    if (!parsed.success) {
      return { error: `HTTP ${status} from Prometheus with an unexpected body: ${snippet(body)}` };
    }
    if (parsed.data.status === 'error') return { error: `${parsed.data.errorType}: ${parsed.data.error}` };
    if (status < 200 || status > 299) return { error: `HTTP ${status} from Prometheus: ${snippet(body)}` };
    return parsed.data.data;
  }
}

function unixSeconds(d: Date): string {
  return String(d.getTime() / 1000);
}

function manySeries(n: number): string {
  return `query returned ${n} series; aggregate it to one`;
}

/** Prometheus formats samples as strings; NaN and ±Inf carry no usable value (0/0, no traffic). */
function sampleValue(raw: string): InstantResult {
  if (raw === 'NaN' || raw === '+Inf' || raw === '-Inf') return { value: null };
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) return { error: `Prometheus returned a sample that is not a number: ${snippet(raw)}` };
  return { value: n };
}

function transportError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timeout: no answer from Prometheus within ${timeoutMs} ms`;
  }
  // Node's fetch throws `TypeError('fetch failed')` and puts the socket error in `cause`
  // (an AggregateError with an empty message when every address was refused).
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? cause.code : '';
  const detail = (cause instanceof Error ? cause.message : String(cause)) || code || 'unknown network error';
  return `Prometheus unreachable: ${detail}`;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
