/**
 * Continuous SLI analysis: each measurement becomes ok / breach / no_data / error with a
 * reason; a streak of breaches triggers, a streak of inconclusive measurements escalates to
 * people ("cannot see, will not act"), and nothing else does. Pure: data in, verdict out.
 */
import type { MeasurementVerdict } from './judge.js';

export type { MeasurementVerdict } from './judge.js';

export interface Measurement {
  at: string;
  verdict: MeasurementVerdict;
  reason: string;
  /** No data only while a sample judge collects its first post-deploy samples: waiting, not blind. */
  collecting?: boolean;
}

export interface SeriesLimits {
  /** Consecutive breaches that trigger. */
  failureLimit: number;
  /** Consecutive measurements with no data that escalate to people. */
  inconclusiveLimit: number;
  /** Consecutive provider errors (the source failed) that escalate to people; counted apart from no data. */
  consecutiveErrorLimit?: number;
}

export type SeriesVerdict =
  | { phase: 'healthy'; reason: string }
  | { phase: 'watching'; reason: string }
  | { phase: 'degraded'; reason: string }
  | { phase: 'blind'; cause: 'no_data' | 'error'; reason: string };

function tail(series: readonly Measurement[], pred: (v: MeasurementVerdict) => boolean): number {
  let n = 0;
  for (let i = series.length - 1; i >= 0 && pred(series[i]!.verdict) && !series[i]!.collecting; i--) n++;
  return n;
}

/**
 * Looks at the tail of a series: a streak decides; a single blip never does. No data and provider
 * errors are separate streaks with their own limits (as Argo Rollouts keeps `consecutiveErrorLimit`
 * apart from `inconclusiveLimit`); a mix of both escalates once it is as long as the larger limit,
 * so a flapping backend cannot keep Backstop blind and quiet.
 */
export function evaluateSeries(series: readonly Measurement[], limits: SeriesLimits): SeriesVerdict {
  const last = series[series.length - 1];
  if (!last) return { phase: 'watching', reason: 'no measurements yet' };
  const errorLimit = limits.consecutiveErrorLimit ?? limits.inconclusiveLimit;
  const breaches = tail(series, (v) => v === 'breach');
  const errors = tail(series, (v) => v === 'error');
  const noData = tail(series, (v) => v === 'no_data');
  const inconclusive = tail(series, (v) => v === 'no_data' || v === 'error');
  if (breaches >= limits.failureLimit) return { phase: 'degraded', reason: `breached ${breaches} times in a row (failureLimit ${limits.failureLimit}): ${last.reason}` };
  if (errors >= errorLimit) {
    return { phase: 'blind', cause: 'error', reason: `${errors} provider errors in a row (consecutiveErrorLimit ${errorLimit}): ${last.reason}. Cannot see, will not act.` };
  }
  if (noData >= limits.inconclusiveLimit) {
    return { phase: 'blind', cause: 'no_data', reason: `${noData} measurements in a row without data (inconclusiveLimit ${limits.inconclusiveLimit}): ${last.reason}. Cannot see, will not act.` };
  }
  if (inconclusive >= Math.max(errorLimit, limits.inconclusiveLimit)) {
    return { phase: 'blind', cause: last.verdict === 'error' ? 'error' : 'no_data', reason: `${inconclusive} inconclusive measurements in a row (no data and errors): ${last.reason}. Cannot see, will not act.` };
  }
  if (breaches > 0) return { phase: 'watching', reason: `breached ${breaches} of ${limits.failureLimit} needed in a row: ${last.reason}` };
  if (inconclusive > 0 || last.collecting) return { phase: 'watching', reason: last.collecting ? last.reason : `${inconclusive} inconclusive in a row: ${last.reason}` };
  return { phase: 'healthy', reason: last.reason };
}

/** Whether this measurement is the one that made the series blind: escalate once per streak, not every interval after. */
export function becameBlind(series: readonly Measurement[], limits: SeriesLimits): boolean {
  return evaluateSeries(series, limits).phase === 'blind' && evaluateSeries(series.slice(0, -1), limits).phase !== 'blind';
}
