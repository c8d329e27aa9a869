import type { SliSpec } from '../domain/sli.js';

/** What a source measured for one SLI; `null` means no data. An `error` means it could not measure. */
export type SliMeasurement =
  | { baseline: number | null; current: number | null }
  | { error: string };

export interface SliContext {
  service: string;
  now: Date;
  /** Baseline time: just before the current version was deployed. */
  baselineAt: Date;
  currentVersion: string | null;
  baselineVersion: string | null;
}

/**
 * Reads raw SLI values; the domain's `assessSli` turns them into verdicts so every
 * source is judged the same way. A source must not throw for provider errors:
 * it returns `{ error }` instead.
 */
export interface SliSource {
  readonly kind: string;
  measure(sli: SliSpec, ctx: SliContext): Promise<SliMeasurement>;
  /** Sources with history (Prometheus) also give a series, drawn as a sparkline in the proposal. */
  range?(sli: SliSpec, window: { start: Date; end: Date; stepSeconds: number }): Promise<{ points: [number, number | null][] } | { error: string }>;
}
