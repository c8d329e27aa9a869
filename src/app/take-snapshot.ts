import type { ResolvedService } from '../config/policy.js';
import { assessSli, type SliReading } from '../domain/sli.js';
import type { SliContext } from '../ports/sli-source.js';
import type { Deps } from './deps.js';

/** Measures every SLI of a service; a source that throws is an inconclusive reading, never a crash. */
export async function takeSnapshot(deps: Deps, svc: ResolvedService, ctx: Omit<SliContext, 'service' | 'now'>): Promise<SliReading[]> {
  const now = deps.clock.now();
  return Promise.all(svc.slis.map(async (sli) => {
    try {
      const measured = await deps.sliSource(sli.source).measure(sli, { ...ctx, service: svc.name, now });
      return assessSli(sli, measured);
    } catch (err) {
      return assessSli(sli, { error: err instanceof Error ? err.message : String(err) });
    }
  }));
}
