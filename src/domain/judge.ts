/**
 * Judges: one measurement of one SLI becomes ok / breach / no data / error, with the reason
 * people read in Slack and in the backtest. Proposals, staged steps, verification and continuous
 * analysis all judge through here, so one service never has two verdict models. Every judge
 * reads the SLI's bad direction from its comparator: lower is worse for lt/lte, higher for gt/gte.
 */
import { mannWhitney, median } from './mann-whitney.js';
import { sequentialTest } from './sequential.js';
import { comparatorSymbol, fmt, fmtUnit, type Comparator, type SliReading, type SliSpec } from './sli.js';

export type MeasurementVerdict = 'ok' | 'breach' | 'no_data' | 'error';

export type Judge =
  | { kind: 'absolute' }
  /** Breach when current is more than `maxDegradation` (a fraction) worse than the baseline AND past `threshold`. */
  | { kind: 'relative'; maxDegradation: number }
  /** Breach when post-deploy samples are worse than pre-deploy samples at `confidence` (one-sided Mann-Whitney U). */
  | { kind: 'mann-whitney'; confidence: number; minSamples: number }
  /** Breach when the mixture SPRT's evidence of a bad-side mean shift reaches 1/alpha (see sequential.ts). */
  | { kind: 'sequential'; alpha: number; minSamples: number; minBaselineSamples: number; tau: number };

/** Judge kinds that compare pre- and post-deploy samples, so their source must keep history. */
export const SAMPLE_JUDGES: readonly Judge['kind'][] = ['mann-whitney', 'sequential'];

export function needsSamples(j: Judge | undefined): boolean {
  return j !== undefined && SAMPLE_JUDGES.includes(j.kind);
}

export interface JudgeInput {
  comparator: Comparator;
  threshold: number;
  baseline: number | null;
  current: number | null;
  /** Samples ending at the pre-deploy baseline instant. */
  baselineSamples?: readonly (number | null)[];
  /** Samples since the deploy only. */
  currentSamples?: readonly (number | null)[];
  /** The source could not measure (error text). */
  error?: string;
  /** Shown on values and thresholds in the reason ("310 ms > 250 ms"). */
  unit?: string;
}

/** `collecting`: no data yet only because too few post-deploy samples exist; not a sign of blindness. */
type Verdict = { verdict: MeasurementVerdict; reason: string; collecting?: true };

const worse = (c: Comparator) => (c === 'lt' || c === 'lte' ? 'lower' : 'higher');

export function pastThreshold(v: number, c: Comparator, t: number): boolean {
  return c === 'lt' ? v < t : c === 'lte' ? v <= t : c === 'gt' ? v > t : v >= t;
}

const finite = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
const pct = (fraction: number) => `${Number((fraction * 100).toPrecision(3))} %`;
const signed = (v: number) => (v > 0 ? `+${fmt(v)}` : fmt(v));

/** One measurement of one SLI under a judge. */
export function judge(j: Judge, x: JudgeInput): Verdict {
  if (x.error) return { verdict: 'error', reason: `could not measure: ${x.error}` };
  switch (j.kind) {
    case 'absolute': {
      if (!finite(x.current)) return { verdict: 'no_data', reason: 'no data for the current value' };
      const u = (v: number) => fmtUnit(v, x.unit);
      return pastThreshold(x.current, x.comparator, x.threshold)
        ? { verdict: 'breach', reason: `${u(x.current)} ${comparatorSymbol(x.comparator)} ${u(x.threshold)} (threshold)` }
        : { verdict: 'ok', reason: `${u(x.current)} within threshold ${u(x.threshold)}` };
    }
    case 'relative':
      return relative(j.maxDegradation, x);
    case 'mann-whitney':
      return mannWhitneyJudge(j, x);
    case 'sequential':
      return sequentialJudge(j, x);
  }
}

function relative(maxDegradation: number, x: JudgeInput): Verdict {
  if (!finite(x.current)) return { verdict: 'no_data', reason: 'no data for the current value' };
  if (!finite(x.baseline)) return { verdict: 'no_data', reason: 'no baseline to compare with' };
  // "5 % worse" has no meaning against zero or a negative baseline.
  if (x.baseline <= 0) return { verdict: 'no_data', reason: `baseline ${fmtUnit(x.baseline, x.unit)} is not positive, so "worse by a fraction of it" means nothing; an absolute judge fits this SLI` };
  const dir = worse(x.comparator);
  const bound = dir === 'lower' ? x.baseline * (1 - maxDegradation) : x.baseline * (1 + maxDegradation);
  const relBreach = dir === 'lower' ? x.current < bound : x.current > bound;
  const degradation = (dir === 'lower' ? x.baseline - x.current : x.current - x.baseline) / x.baseline;
  if (degradation <= 0) return { verdict: 'ok', reason: `${fmtUnit(x.current, x.unit)} vs baseline ${fmtUnit(x.baseline, x.unit)}: not ${dir}` };
  const vs = `${fmtUnit(x.current, x.unit)} is ${pct(degradation)} ${dir} than baseline ${fmtUnit(x.baseline, x.unit)}`;
  const sym = comparatorSymbol(x.comparator);
  if (!relBreach) return { verdict: 'ok', reason: `${vs}, within the ${pct(maxDegradation)} allowed` };
  if (!pastThreshold(x.current, x.comparator, x.threshold)) return { verdict: 'ok', reason: `${vs} (more than ${pct(maxDegradation)}) but not ${sym} ${fmtUnit(x.threshold, x.unit)} (threshold)` };
  return { verdict: 'breach', reason: `${vs} (more than the ${pct(maxDegradation)} allowed) and ${sym} ${fmtUnit(x.threshold, x.unit)} (threshold)` };
}

function samples(x: JudgeInput): { b: number[]; c: number[] } {
  return { b: (x.baselineSamples ?? []).filter(finite), c: (x.currentSamples ?? []).filter(finite) };
}

function mannWhitneyJudge(j: { confidence: number; minSamples: number }, x: JudgeInput): Verdict {
  const { b, c } = samples(x);
  if (c.length < j.minSamples) return { verdict: 'no_data', collecting: true, reason: `${c.length} of ${j.minSamples} post-deploy samples so far (Mann-Whitney needs ${j.minSamples})` };
  if (b.length < j.minSamples) return { verdict: 'no_data', reason: `${b.length} of ${j.minSamples} pre-deploy samples (Mann-Whitney needs ${j.minSamples})` };
  const dir = worse(x.comparator);
  const r = mannWhitney(b, c)!;
  const p = dir === 'lower' ? r.pLess : r.pGreater;
  const alpha = 1 - j.confidence;
  const detail = `one-sided p=${p.toPrecision(2)} ${p < alpha ? '<' : '≥'} ${fmt(alpha)}; median ${fmt(median(c))} after vs ${fmt(median(b))} before, ${c.length} vs ${b.length} samples`;
  return p < alpha
    ? { verdict: 'breach', reason: `post-deploy samples are ${dir} than before the deploy (Mann-Whitney ${detail})` }
    : { verdict: 'ok', reason: `post-deploy samples are not significantly ${dir} than before the deploy (Mann-Whitney ${detail})` };
}

/** Λ for people: plain up to 10⁴, then as a power of ten (it grows exponentially with the shift). */
function fmtLambda(logLambda: number): string {
  return logLambda < Math.log(1e4) ? fmt(Number(Math.exp(logLambda).toPrecision(2))) : `10^${Math.floor(logLambda / Math.LN10)}`;
}

function sequentialJudge(j: { alpha: number; minSamples: number; minBaselineSamples: number; tau: number }, x: JudgeInput): Verdict {
  const { b, c } = samples(x);
  if (c.length < j.minSamples) return { verdict: 'no_data', collecting: true, reason: `${c.length} of ${j.minSamples} post-deploy samples so far (sequential test needs ${j.minSamples})` };
  // The noise estimate comes from the baseline alone; a short one would make the test overconfident.
  if (b.length < j.minBaselineSamples) return { verdict: 'no_data', reason: `${b.length} of ${j.minBaselineSamples} pre-deploy samples (sequential test needs them to estimate the noise)` };
  const dir = worse(x.comparator);
  const r = sequentialTest(b, c, { alpha: j.alpha, tau: j.tau, bad: dir });
  if (!r) {
    // A flat baseline has no noise to measure a shift against: unchanged is ok, anything else cannot be judged.
    const flat = b[0]!;
    return c.every((v) => v === flat)
      ? { verdict: 'ok', reason: `unchanged at ${fmt(flat)} before and after the deploy` }
      : { verdict: 'no_data', reason: `pre-deploy samples do not vary (all ${fmt(flat)}), so there is no noise to measure a shift against; an absolute judge fits this SLI` };
  }
  const boundary = 1 / j.alpha;
  const overlap = r.inflation >= 1.5 ? ` (overlapping: worth ~${Math.max(1, Math.round(r.n / r.inflation))} independent)` : '';
  const detail = `post-deploy mean ${fmt(r.currentMean)} vs baseline ${fmt(r.baselineMean)}: shift ${signed(r.shift)} (${signed(Number((r.shift / r.baselineSd).toFixed(1)))} sd, ${dir} is worse), ${r.n} samples${overlap}`;
  return r.breach
    ? { verdict: 'breach', reason: `sequential test: evidence Λ=${fmtLambda(r.logLambda)} ≥ ${fmt(boundary)} (1/alpha) that it got ${dir}; ${detail}` }
    : { verdict: 'ok', reason: `sequential test: evidence Λ=${fmtLambda(r.logLambda)} < ${fmt(boundary)} (1/alpha); ${detail}` };
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
  const j = judge(spec.judge ?? { kind: 'absolute' }, { comparator: spec.comparator, threshold: spec.threshold, unit: spec.unit, baseline, current, baselineSamples: measured.baselineSamples, currentSamples: measured.currentSamples });
  return { ...base, baseline, current, ...j };
}
