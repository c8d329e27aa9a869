import type { ResolvedService } from '../config/policy.js';
import { assessSli, type SliReading } from '../domain/sli.js';
import { sparkline } from '../domain/sparkline.js';
import type { SliContext } from '../ports/sli-source.js';
import type { Deps } from './deps.js';

/** Measures every SLI of a service; a source that throws is an inconclusive reading, never a crash. */
export async function takeSnapshot(deps: Deps, svc: ResolvedService, ctx: Omit<SliContext, 'service' | 'now'>): Promise<SliReading[]> {
  const now = deps.clock.now();
  return Promise.all(svc.slis.map(async (sli) => {
    const source = deps.sliSource(sli.source);
    let reading: SliReading;
    try {
      reading = assessSli(sli, await source.measure(sli, { ...ctx, service: svc.name, now }));
    } catch (err) {
      reading = assessSli(sli, { error: err instanceof Error ? err.message : String(err) });
    }
    if (!source.range) return reading;
    // The shape of the last hour, so people see a drop, not only two numbers.
    const series = await source.range(sli, { start: new Date(now.getTime() - 3_600_000), end: now, stepSeconds: 60 }).catch(() => undefined);
    return series && 'points' in series ? { ...reading, sparkline: sparkline(series.points.map(([, v]) => v), 30) } : reading;
  }));
}
