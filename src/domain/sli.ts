/**
 * SLIs and their readings. A reading's verdict is ok, breach, no data or error, always with a
 * reason; no data and errors are inconclusive, never healthy and never a breach. `judge.ts`
 * turns measured values into readings.
 */
import type { Judge, MeasurementVerdict } from './judge.js';

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
  /** How each measurement is judged (default: against the threshold). */
  judge?: Judge;
}

/** The overall picture of several readings. */
export type SliVerdict = 'ok' | 'breach' | 'inconclusive';

export interface SliReading {
  name: string;
  baseline: number | null;
  current: number | null;
  comparator: Comparator;
  threshold: number;
  unit?: string;
  /** no_data: nothing to measure; error: the source could not measure. Both are inconclusive. */
  verdict: MeasurementVerdict;
  /** Readable reason shown in Slack, e.g. "0.8 < 0.85 (threshold)" or "could not measure: connection refused". */
  reason: string;
  /** No data only because a sample judge is still collecting post-deploy samples. */
  collecting?: boolean;
  /** The last hour as a unicode sparkline, where the source keeps history. */
  sparkline?: string;
}

const SYMBOL: Record<Comparator, string> = { lt: '<', lte: '≤', gt: '>', gte: '≥' };

export function comparatorSymbol(c: Comparator): string {
  return SYMBOL[c];
}

export function fmt(v: number | null): string {
  if (v === null) return '—';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** A value with its unit ("310 ms", "0.8"): every value and threshold people read carries it. */
export function fmtUnit(v: number | null, unit: string | undefined): string {
  if (v === null || !unit) return fmt(v);
  return unit === '%' ? `${fmt(v)} %` : `${fmt(v)} ${unit}`;
}

/** Worst verdict wins for the overall picture: breach > inconclusive > ok. */
export function overallVerdict(readings: readonly SliReading[]): SliVerdict {
  if (readings.some((r) => r.verdict === 'breach')) return 'breach';
  if (readings.length === 0 || readings.some((r) => r.verdict === 'no_data' || r.verdict === 'error')) return 'inconclusive';
  return 'ok';
}
