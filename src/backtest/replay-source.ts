import type { SliSpec } from '../domain/sli.js';
import type { SliContext, SliMeasurement, SliSource } from '../ports/sli-source.js';
import type { SliTimeline } from './series.js';

/**
 * Serves recorded SLI data to the real measurement code as if it were the live provider: the
 * value at the latest row ≤ the asked time, no data before the first row, and a provider error
 * wherever the recording says `error`. `range()` gives distribution judges their samples.
 */
export class ReplaySliSource implements SliSource {
  readonly kind = 'replay';

  constructor(private readonly timelines: ReadonlyMap<string, SliTimeline>) {}

  async measure(sli: SliSpec, ctx: SliContext): Promise<SliMeasurement> {
    const t = this.timelines.get(sli.name);
    if (!t) return { baseline: null, current: null };
    const current = t.valueAt(ctx.now.getTime());
    if (current === 'error') return { error: `the provider failed (recorded "error" at ${ctx.now.toISOString()})` };
    const baseline = t.valueAt(ctx.baselineAt.getTime());
    if (baseline === 'error') return { error: `the provider failed (recorded "error" at ${ctx.baselineAt.toISOString()}) (baseline query)` };
    return { baseline, current };
  }

  /**
   * One point per step from `start` through `end`, like Prometheus' query_range. The query runs
   * at `end`: a provider failing then fails the whole query; a failure recorded earlier in the
   * window is a gap (no data) in the answer, as a metrics store has no sample for it.
   */
  async range(sli: SliSpec, window: { start: Date; end: Date; stepSeconds: number }): Promise<{ points: [number, number | null][] } | { error: string }> {
    const t = this.timelines.get(sli.name);
    const { start, end, stepSeconds } = window;
    if (!(stepSeconds > 0) || end.getTime() < start.getTime()) return { error: `invalid range (step ${stepSeconds}s)` };
    if (t?.valueAt(end.getTime()) === 'error') return { error: `the provider failed (recorded "error" at ${end.toISOString()})` };
    const points: [number, number | null][] = [];
    for (let ms = start.getTime(); ms <= end.getTime(); ms += stepSeconds * 1000) {
      const v = t?.valueAt(ms) ?? null;
      points.push([ms / 1000, v === 'error' ? null : v]);
    }
    return { points };
  }
}
