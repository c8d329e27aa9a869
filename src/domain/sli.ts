/**
 * SLI assessment: a pure function from measured values to a verdict with a reason.
 * Missing data and provider errors are inconclusive, never healthy and never a breach.
 */
export type Comparator = 'lt' | 'lte' | 'gt' | 'gte';

export interface SliSpec {
  name: string;
  source: 'static' | 'prometheus';
  /** PromQL for prometheus sources. */
  query?: string;
  /** Static sources: `baseline`/`current`, or a value per version (`v41: 0.91`). */
  values?: Record<string, number>;
  /** Breach when `current <comparator> threshold`, e.g. accuracy `lt` 0.85. */
  comparator: Comparator;
  threshold: number;
  unit?: string;
}

export type SliVerdict = 'ok' | 'breach' | 'inconclusive';

export interface SliReading {
  name: string;
  baseline: number | null;
  current: number | null;
  comparator: Comparator;
  threshold: number;
  unit?: string;
  verdict: SliVerdict;
  /** Set when inconclusive: could not measure (error) vs. nothing to measure (no_data). */
  inconclusive?: 'no_data' | 'error';
  /** Readable reason shown in Slack, e.g. "0.8 < 0.85 (threshold)". */
  reason: string;
  /** The last hour as a unicode sparkline, where the source keeps history. */
  sparkline?: string;
}

const SYMBOL: Record<Comparator, string> = { lt: '<', lte: '≤', gt: '>', gte: '≥' };

export function comparatorSymbol(c: Comparator): string {
  return SYMBOL[c];
}

function breaches(value: number, c: Comparator, threshold: number): boolean {
  switch (c) {
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
    case 'gt':
      return value > threshold;
    case 'gte':
      return value >= threshold;
  }
}

export type Measured = { baseline: number | null; current: number | null } | { error: string };

export function assessSli(spec: SliSpec, measured: Measured): SliReading {
  const base = { name: spec.name, comparator: spec.comparator, threshold: spec.threshold, unit: spec.unit };
  if ('error' in measured) {
    return { ...base, baseline: null, current: null, verdict: 'inconclusive', inconclusive: 'error', reason: `could not measure: ${measured.error}` };
  }
  const baseline = finiteOrNull(measured.baseline);
  const current = finiteOrNull(measured.current);
  if (current === null) {
    return { ...base, baseline, current, verdict: 'inconclusive', inconclusive: 'no_data', reason: 'no data for the current value' };
  }
  const sym = SYMBOL[spec.comparator];
  if (breaches(current, spec.comparator, spec.threshold)) {
    return { ...base, baseline, current, verdict: 'breach', reason: `${fmt(current)} ${sym} ${fmt(spec.threshold)} (threshold)` };
  }
  return { ...base, baseline, current, verdict: 'ok', reason: `${fmt(current)} within threshold ${fmt(spec.threshold)}` };
}

function finiteOrNull(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}

export function fmt(v: number | null): string {
  if (v === null) return '—';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** Worst verdict wins for the overall picture: breach > inconclusive > ok. */
export function overallVerdict(readings: readonly SliReading[]): SliVerdict {
  if (readings.some((r) => r.verdict === 'breach')) return 'breach';
  if (readings.length === 0 || readings.some((r) => r.verdict === 'inconclusive')) return 'inconclusive';
  return 'ok';
}
