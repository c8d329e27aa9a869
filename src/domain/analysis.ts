/**
 * Continuous SLI analysis: each measurement becomes ok / breach / no_data / error with a
 * reason; a streak of breaches triggers, a streak of inconclusive measurements escalates to
 * people ("cannot see, will not act"), and nothing else does. Pure: data in, verdict out.
 */
import { mannWhitney } from './mann-whitney.js';
import { comparatorSymbol, fmt, type Comparator } from './sli.js';

export type MeasurementVerdict = 'ok' | 'breach' | 'no_data' | 'error';

export interface Measurement {
  at: string;
  verdict: MeasurementVerdict;
  reason: string;
}

export type Judge =
  | { kind: 'absolute' }
  /** Breach when current is `factor`× worse than baseline AND past `threshold` (e.g. 2× and above 1 %). */
  | { kind: 'relative'; factor: number }
  /** Breach when current samples are worse than baseline samples at `confidence` (Mann-Whitney U). */
  | { kind: 'mann-whitney'; confidence: number; minSamples: number };

export interface JudgeInput {
  comparator: Comparator;
  threshold: number;
  baseline: number | null;
  current: number | null;
  baselineSamples?: readonly (number | null)[];
  currentSamples?: readonly (number | null)[];
  /** The source could not measure (error text). */
  error?: string;
}

const worse = (c: Comparator) => (c === 'lt' || c === 'lte' ? 'lower' : 'higher');

function pastThreshold(v: number, c: Comparator, t: number): boolean {
  return c === 'lt' ? v < t : c === 'lte' ? v <= t : c === 'gt' ? v > t : v >= t;
}

/** One measurement of one SLI under a judge. */
export function judge(j: Judge, x: JudgeInput): { verdict: MeasurementVerdict; reason: string } {
  if (x.error) return { verdict: 'error', reason: `could not measure: ${x.error}` };
  const sym = comparatorSymbol(x.comparator);
  switch (j.kind) {
    case 'absolute': {
      if (x.current === null || !Number.isFinite(x.current)) return { verdict: 'no_data', reason: 'no data for the current value' };
      return pastThreshold(x.current, x.comparator, x.threshold)
        ? { verdict: 'breach', reason: `${fmt(x.current)} ${sym} ${fmt(x.threshold)} (threshold)` }
        : { verdict: 'ok', reason: `${fmt(x.current)} within threshold ${fmt(x.threshold)}` };
    }
    case 'relative': {
      if (x.current === null || !Number.isFinite(x.current)) return { verdict: 'no_data', reason: 'no data for the current value' };
      if (x.baseline === null || !Number.isFinite(x.baseline)) return { verdict: 'no_data', reason: 'no baseline to compare with' };
      const lowerIsWorse = worse(x.comparator) === 'lower';
      const bound = lowerIsWorse ? x.baseline / j.factor : x.baseline * j.factor;
      const relBreach = lowerIsWorse ? x.current < bound : x.current > bound;
      const absBreach = pastThreshold(x.current, x.comparator, x.threshold);
      if (relBreach && absBreach) return { verdict: 'breach', reason: `${fmt(x.current)} is ${j.factor}× ${worse(x.comparator)} than baseline ${fmt(x.baseline)} and ${sym} ${fmt(x.threshold)}` };
      return { verdict: 'ok', reason: `${fmt(x.current)} vs baseline ${fmt(x.baseline)}: ${relBreach ? `past ${j.factor}× but not ${sym} ${fmt(x.threshold)}` : `within ${j.factor}×`}` };
    }
    case 'mann-whitney': {
      const b = (x.baselineSamples ?? []).filter((v): v is number => v !== null && Number.isFinite(v));
      const c = (x.currentSamples ?? []).filter((v): v is number => v !== null && Number.isFinite(v));
      if (b.length < j.minSamples || c.length < j.minSamples) {
        return { verdict: 'no_data', reason: `too few samples (baseline ${b.length}, current ${c.length}; need ${j.minSamples} each)` };
      }
      const r = mannWhitney(b, c)!;
      const p = worse(x.comparator) === 'lower' ? r.pLess : r.pGreater;
      const alpha = 1 - j.confidence;
      return p < alpha
        ? { verdict: 'breach', reason: `current samples are ${worse(x.comparator)} than baseline (Mann-Whitney p=${p.toPrecision(2)} < ${fmt(alpha)})` }
        : { verdict: 'ok', reason: `no significant difference from baseline (Mann-Whitney p=${p.toPrecision(2)} ≥ ${fmt(alpha)})` };
    }
  }
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
