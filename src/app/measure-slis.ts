import type { ResolvedService } from '../config/policy.js';
import type { Proposal } from '../domain/proposal.js';
import { assessSli, needsSamples, type Measured } from '../domain/judge.js';
import type { SliReading, SliSpec } from '../domain/sli.js';
import { sparkline } from '../domain/sparkline.js';
import type { SliContext, SliSource } from '../ports/sli-source.js';
import type { Deps } from './deps.js';

export interface MeasureContext extends Omit<SliContext, 'service' | 'now'> {
  /** Where the current window of distribution judges starts (the deploy or the rollback); default: an hour back. */
  currentSince?: Date | null;
  /** Also draw the last hour as a sparkline (proposals and verification, not every analysis pass). */
  sparkline?: boolean;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The one way Backstop measures a service: every SLI read by its source and judged by its
 * configured judge, so a proposal, a staged step, a verification and an analysis pass agree.
 * A source that throws is an error reading with the reason, never a crash.
 */
export async function measureSlis(deps: Pick<Deps, 'clock' | 'sliSource'>, svc: ResolvedService, ctx: MeasureContext, stepSeconds = 60): Promise<SliReading[]> {
  const now = deps.clock.now();
  return Promise.all(svc.slis.map(async (sli) => {
    const source = deps.sliSource(sli.source);
    const reading = assessSli(sli, await measureOne(source, sli, svc, now, ctx, stepSeconds));
    if (!ctx.sparkline || !source.range) return reading;
    // The shape of the last hour, so people see a drop, not only two numbers.
    const series = await source.range(sli, { start: new Date(now.getTime() - HOUR), end: now, stepSeconds: 60 }).catch(() => undefined);
    return series && 'points' in series ? { ...reading, sparkline: sparkline(series.points.map(([, v]) => v), 30) } : reading;
  }));
}

async function measureOne(source: SliSource, sli: SliSpec, svc: ResolvedService, now: Date, ctx: MeasureContext, stepSeconds: number): Promise<Measured> {
  let measured: Measured;
  try {
    measured = await source.measure(sli, { service: svc.name, now, baselineAt: ctx.baselineAt, currentVersion: ctx.currentVersion, baselineVersion: ctx.baselineVersion });
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  if ('error' in measured || !needsSamples(sli.judge)) return measured;
  if (!source.range) return { error: `the ${source.kind} source keeps no history, which a ${sli.judge!.kind} judge needs` };
  // Baseline samples strictly before the deploy, over a fixed window long enough to estimate the
  // noise; current samples only after the deploy, all of them (a day at most), at the analysis step.
  const since = ctx.currentSince && ctx.currentSince.getTime() < now.getTime() ? new Date(Math.max(ctx.currentSince.getTime(), now.getTime() - DAY)) : new Date(now.getTime() - HOUR);
  const j = sli.judge!;
  const baselinePoints = j.kind === 'sequential' ? j.minBaselineSamples : j.kind === 'mann-whitney' ? j.minSamples : 0;
  const baselineSpan = Math.max(HOUR, baselinePoints * stepSeconds * 1000);
  const [b, c] = await Promise.all([
    source.range(sli, { start: new Date(ctx.baselineAt.getTime() - baselineSpan), end: ctx.baselineAt, stepSeconds }).catch((err: unknown) => ({ error: String(err) })),
    source.range(sli, { start: since, end: now, stepSeconds }).catch((err: unknown) => ({ error: String(err) })),
  ]);
  if ('error' in b) return { error: `baseline history: ${b.error}` };
  if ('error' in c) return { error: `current history: ${c.error}` };
  return { ...measured, baselineSamples: b.points.map(([, v]) => v), currentSamples: c.points.map(([, v]) => v) };
}

/** The pre-deploy instant all of a proposal's SLI tables compare with. */
export function proposalBaselineAt(deps: Pick<Deps, 'service'>, p: Proposal): Date {
  if (p.baselineAt) return new Date(p.baselineAt);
  // Proposals made before the baseline was stored: the same rule they were made with.
  return new Date(Date.parse(p.createdAt) - (deps.service(p.service)?.baselineOffset ?? 3_600_000));
}
