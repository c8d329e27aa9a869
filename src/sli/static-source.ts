import type { SliSpec } from '../domain/sli.js';
import type { SliContext, SliMeasurement, SliSource } from '../ports/sli-source.js';

/**
 * SLI values written in the policy: `{baseline, current}`, or one value per version
 * (`{v41: 0.91, v42: 0.80}`) so a rollback visibly changes what is measured.
 * A version with no value is no data, which is inconclusive, not healthy.
 */
export const staticSliSource: SliSource = {
  kind: 'static',
  async measure(sli: SliSpec, ctx: SliContext): Promise<SliMeasurement> {
    const v = sli.values ?? {};
    const pick = (version: string | null, fallback: string): number | null =>
      (version !== null && v[version] !== undefined ? v[version] : v[fallback]) ?? null;
    return { baseline: pick(ctx.baselineVersion, 'baseline'), current: pick(ctx.currentVersion, 'current') };
  },
};
