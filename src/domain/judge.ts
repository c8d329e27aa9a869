/**
 * Judges: one measurement of one SLI becomes ok / breach / no data / error, with the reason
 * people read in Slack and in the backtest. Proposals, staged steps, verification and continuous
 * analysis all judge through here, so one service never has two verdict models.
 */
import { mannWhitney } from './mann-whitney.js';
import { comparatorSymbol, fmt, type Comparator, type SliReading, type SliSpec } from './sli.js';

export type MeasurementVerdict = 'ok' | 'breach' | 'no_data' | 'error';

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

export function pastThreshold(v: number, c: Comparator, t: number): boolean {
  return c === 'lt' ? v < t : c === 'lte' ? v <= t : c === 'gt' ? v > t : v >= t;
}

const finite = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/** One measurement of one SLI under a judge. */
export function judge(j: Judge, x: JudgeInput): { verdict: MeasurementVerdict; reason: string } {
  if (x.error) return { verdict: 'error', reason: `could not measure: ${x.error}` };
  const sym = comparatorSymbol(x.comparator);
  switch (j.kind) {
    case 'absolute': {
      if (!finite(x.current)) return { verdict: 'no_data', reason: 'no data for the current value' };
      return pastThreshold(x.current, x.comparator, x.threshold)
        ? { verdict: 'breach', reason: `${fmt(x.current)} ${sym} ${fmt(x.threshold)} (threshold)` }
        : { verdict: 'ok', reason: `${fmt(x.current)} within threshold ${fmt(x.threshold)}` };
    }
    case 'relative': {
      if (!finite(x.current)) return { verdict: 'no_data', reason: 'no data for the current value' };
      if (!finite(x.baseline)) return { verdict: 'no_data', reason: 'no baseline to compare with' };
      const lowerIsWorse = worse(x.comparator) === 'lower';
      const bound = lowerIsWorse ? x.baseline / j.factor : x.baseline * j.factor;
      const relBreach = lowerIsWorse ? x.current < bound : x.current > bound;
      const absBreach = pastThreshold(x.current, x.comparator, x.threshold);
      if (relBreach && absBreach) return { verdict: 'breach', reason: `${fmt(x.current)} is ${j.factor}× ${worse(x.comparator)} than baseline ${fmt(x.baseline)} and ${sym} ${fmt(x.threshold)}` };
      return { verdict: 'ok', reason: `${fmt(x.current)} vs baseline ${fmt(x.baseline)}: ${relBreach ? `past ${j.factor}× but not ${sym} ${fmt(x.threshold)}` : `within ${j.factor}×`}` };
    }
    case 'mann-whitney': {
      const b = (x.baselineSamples ?? []).filter(finite);
      const c = (x.currentSamples ?? []).filter(finite);
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

/** What a source measured for one SLI, with samples when the judge compares distributions. */
export type Measured =
  | { baseline: number | null; current: number | null; baselineSamples?: readonly (number | null)[]; currentSamples?: readonly (number | null)[] }
  | { error: string };

/** An SLI reading under the SLI's own judge (absolute when none is configured). */
export function assessSli(spec: SliSpec, measured: Measured): SliReading {
  const base = { name: spec.name, comparator: spec.comparator, threshold: spec.threshold, unit: spec.unit };
  if ('error' in measured) {
    const j = judge(spec.judge ?? { kind: 'absolute' }, { comparator: spec.comparator, threshold: spec.threshold, baseline: null, current: null, error: measured.error });
    return { ...base, baseline: null, current: null, ...j };
  }
  const baseline = finite(measured.baseline) ? measured.baseline : null;
  const current = finite(measured.current) ? measured.current : null;
  const j = judge(spec.judge ?? { kind: 'absolute' }, { comparator: spec.comparator, threshold: spec.threshold, baseline, current, baselineSamples: measured.baselineSamples, currentSamples: measured.currentSamples });
  return { ...base, baseline, current, ...j };
}
