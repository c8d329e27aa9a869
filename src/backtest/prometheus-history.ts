import type { Policy, ResolvedService } from '../config/policy.js';
import { PrometheusSliSource } from '../sli/prometheus-source.js';
import type { SeriesRow } from './series.js';

/** Prometheus refuses a query_range of more than 11,000 points; stay well under it. */
const MAX_POINTS = 10_000;

export type HistoryResult = { ok: true; rows: SeriesRow[] } | { ok: false; message: string };

/**
 * The service's SLIs from the policy's Prometheus over [from, to], one point per analysis
 * interval: what the bot would have read. A step without a sample is no data; a failing
 * query stops the fetch (a backtest on half the data would mislead).
 */
export async function fetchHistory(policy: Policy, svc: ResolvedService, from: Date, to: Date, fetchFn?: typeof fetch): Promise<HistoryResult> {
  if (!policy.prometheus) return { ok: false, message: 'the policy has no `prometheus: {url: …}`, so --from/--to have nowhere to fetch from; give --series FILE instead' };
  const notProm = svc.slis.filter((s) => s.source !== 'prometheus').map((s) => s.name);
  if (notProm.length > 0) return { ok: false, message: `SLI(s) ${notProm.join(', ')} are not prometheus SLIs and keep no history; give --series FILE instead` };
  const source = new PrometheusSliSource({ baseUrl: policy.prometheus.url, timeoutMs: policy.prometheus.timeout, ...(fetchFn ? { fetch: fetchFn } : {}) });
  const stepSeconds = Math.max(1, Math.round((svc.decision?.interval ?? 60_000) / 1000));
  const rows: SeriesRow[] = [];
  for (const sli of svc.slis) {
    for (let start = from.getTime(); start <= to.getTime(); start += MAX_POINTS * stepSeconds * 1000) {
      const end = Math.min(to.getTime(), start + (MAX_POINTS - 1) * stepSeconds * 1000);
      const r = await source.range(sli, { start: new Date(start), end: new Date(end), stepSeconds });
      if ('error' in r) return { ok: false, message: `${sli.name}: query_range ${new Date(start).toISOString()} → ${new Date(end).toISOString()} failed: ${r.error}` };
      for (const [t, v] of r.points) rows.push({ at: Math.round(t * 1000), sli: sli.name, value: v, line: 0 });
    }
  }
  return { ok: true, rows };
}
