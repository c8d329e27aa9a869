import type { Comparator } from '../domain/sli.js';

/** One SLI over a window, with what it is judged against, ready to draw. */
export interface SliChartSeries {
  name: string;
  unit?: string;
  comparator: Comparator;
  threshold: number;
  /** The pre-deploy value the proposal compared with, when known. */
  baseline: number | null;
  /** `[unix seconds, value]`; null is a gap (no data), drawn as one. */
  points: [number, number | null][];
  /** Each value holds until the next (readings taken at moments, not a sampled series). */
  stepped?: boolean;
}

export interface SliChartInput {
  title: string;
  start: Date;
  end: Date;
  series: SliChartSeries[];
  /** Moments marked on every panel (the deploy, the rollback). */
  marks: { label: string; at: Date }[];
}

/** Draws SLI charts as PNG images (server-side; no browser). */
export interface SliCharts {
  png(input: SliChartInput): Promise<Buffer>;
}
