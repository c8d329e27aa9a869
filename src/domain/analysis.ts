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
}

export interface SeriesLimits {
  /** Consecutive breaches that trigger. */
  failureLimit: number;
  /** Consecutive inconclusive measurements (no data or error) that escalate to people. */
  inconclusiveLimit: number;
}

export type SeriesVerdict =
  | { phase: 'healthy'; reason: string }
  | { phase: 'watching'; reason: string }
  | { phase: 'degraded'; reason: string }
  | { phase: 'blind'; cause: 'no_data' | 'error'; reason: string };

/** Looks at the tail of a series: a streak decides; a single blip never does. */
export function evaluateSeries(series: readonly Measurement[], limits: SeriesLimits): SeriesVerdict {
  let breaches = 0;
  for (let i = series.length - 1; i >= 0 && series[i]!.verdict === 'breach'; i--) breaches++;
  let blind = 0;
  for (let i = series.length - 1; i >= 0 && (series[i]!.verdict === 'no_data' || series[i]!.verdict === 'error'); i--) blind++;
  const last = series[series.length - 1];
  if (!last) return { phase: 'watching', reason: 'no measurements yet' };
  if (breaches >= limits.failureLimit) return { phase: 'degraded', reason: `breached ${breaches} times in a row (failureLimit ${limits.failureLimit}): ${last.reason}` };
  if (blind >= limits.inconclusiveLimit) {
    const cause = last.verdict === 'error' ? 'error' : 'no_data';
    return { phase: 'blind', cause, reason: `${blind} inconclusive measurements in a row (inconclusiveLimit ${limits.inconclusiveLimit}): ${last.reason}. Cannot see, will not act.` };
  }
  if (breaches > 0) return { phase: 'watching', reason: `breached ${breaches} of ${limits.failureLimit} needed in a row: ${last.reason}` };
  if (blind > 0) return { phase: 'watching', reason: `${blind} inconclusive in a row: ${last.reason}` };
  return { phase: 'healthy', reason: last.reason };
}
