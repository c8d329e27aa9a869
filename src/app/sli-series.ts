import type { ResolvedService } from '../config/policy.js';
import type { Proposal } from '../domain/proposal.js';
import type { SliReading, SliSpec } from '../domain/sli.js';
import type { SliChartInput, SliChartSeries } from '../ports/sli-chart.js';
import type { Deps } from './deps.js';

/** About this many points per panel, whatever the window. */
const POINTS = 120;
const MIN_STEP_S = 15;

export interface ChartWindow {
  start: Date;
  end: Date;
  /** Proposals of the window, oldest first: their readings, deploy and rollback times. */
  proposals: readonly Proposal[];
  /** When the version rolled back from was deployed, if known. */
  deployedAt: Date | null;
  title: string;
}

const seconds = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) / 1000 : null);

/**
 * Points from what the store has, for sources that keep no history (static): the baseline at
 * the proposal's baseline instant, the reading when it was proposed and after verification.
 */
function pointsFromReadings(sli: SliSpec, proposals: readonly Proposal[], deployedAt: Date | null): [number, number | null][] {
  const out: [number, number | null][] = [];
  const find = (rs: readonly SliReading[] | null) => rs?.find((r) => r.name === sli.name);
  for (const p of proposals) {
    const before = find(p.sliBefore);
    const baselineAt = seconds(p.baselineAt);
    if (before && baselineAt !== null) out.push([baselineAt, before.baseline]);
    // What was read when proposing is what the deploy brought.
    if (before && deployedAt) out.push([deployedAt.getTime() / 1000, before.current]);
    if (before) out.push([seconds(p.createdAt)!, before.current]);
    const after = find(p.sliAfter);
    for (const at of [seconds(p.executedAt), seconds(p.verifiedAt)]) if (after && at !== null) out.push([at, after.current]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Every SLI of a service over a window, as a chart to draw. Series with history (Prometheus)
 * come from the source's range query; others from the proposals' readings. Reads the network:
 * call it outside transactions. A source that fails gives an empty panel, never an error.
 */
export async function sliChartInput(deps: Pick<Deps, 'sliSource' | 'log'>, svc: ResolvedService, w: ChartWindow): Promise<SliChartInput> {
  const spanS = Math.max(1, (w.end.getTime() - w.start.getTime()) / 1000);
  const stepSeconds = Math.max(MIN_STEP_S, Math.ceil(spanS / POINTS));
  const latest = w.proposals.at(-1);
  const series = await Promise.all(svc.slis.map(async (sli): Promise<SliChartSeries> => {
    const reading = latest?.sliBefore.find((r) => r.name === sli.name);
    const source = deps.sliSource(sli.source);
    let points: [number, number | null][] = [];
    if (source.range) {
      const r = await source.range(sli, { start: w.start, end: w.end, stepSeconds }).catch((err: unknown) => ({ error: String(err) }));
      if ('points' in r) points = r.points;
      else deps.log.warn({ service: svc.name, sli: sli.name, error: r.error }, 'no SLI series for the chart');
    } else {
      points = pointsFromReadings(sli, w.proposals, w.deployedAt);
    }
    return { name: sli.name, ...(sli.unit ? { unit: sli.unit } : {}), comparator: sli.comparator, threshold: sli.threshold, baseline: reading?.baseline ?? null, points, ...(source.range ? {} : { stepped: true }) };
  }));
  const marks: SliChartInput['marks'] = [];
  if (w.deployedAt) marks.push({ label: `deploy${latest?.fromVersion ? ` ${latest.fromVersion}` : ''}`, at: w.deployedAt });
  for (const p of w.proposals) if (p.executedAt) marks.push({ label: `rollback to ${p.toVersion}`, at: new Date(p.executedAt) });
  return { title: w.title, start: w.start, end: w.end, series, marks };
}

/** A window with a margin either side, so the first and last moments are not on the frame. */
export function padded(start: Date, end: Date): { start: Date; end: Date } {
  const span = Math.max(60_000, end.getTime() - start.getTime());
  const pad = Math.max(60_000, span * 0.05);
  return { start: new Date(start.getTime() - pad), end: new Date(end.getTime() + pad) };
}
