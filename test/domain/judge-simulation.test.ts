/**
 * Seeded Monte-Carlo of continuous checking: how often each judge rolls back a deploy that
 * changed nothing, and how fast it catches one that made the SLI 2σ worse. Each series is what
 * analysis sees during a bake window: a pre-deploy baseline, then at interval i the first i
 * post-deploy samples, judged by `judge()` and streaked by `evaluateSeries()` with the policy's
 * default limits. No timing, no wall clock: the same seeds give the same table everywhere.
 *
 *   npx vitest run test/domain/judge-simulation.test.ts    (prints the table)
 */
import { describe, expect, it } from 'vitest';
import { decisionSchema, sliSchema } from '../../src/config/policy.js';
import { evaluateSeries, type Measurement } from '../../src/domain/analysis.js';
import { judge, type Judge } from '../../src/domain/judge.js';
import type { Comparator } from '../../src/domain/sli.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';

const SERIES = 1000;
const INTERVALS = 60;
const BASELINE_SAMPLES = 60;
// An accuracy-like SLI (lower is worse) and a latency-like one (higher is worse).
const ACCURACY = { comparator: 'lt' as Comparator, mean: 0.91, sd: 0.01 };
const LATENCY = { comparator: 'gt' as Comparator, mean: 200, sd: 20 };
type Sli = typeof ACCURACY;

const d = decisionSchema.parse({});
const limits = { failureLimit: d.failureLimit, inconclusiveLimit: d.inconclusiveLimit, consecutiveErrorLimit: d.consecutiveErrorLimit };

/** A judge with the defaults a policy file gets, so the simulation measures what users run. */
function configured(judgeYaml: Record<string, unknown>, sli: Sli): Judge {
  return sliSchema.parse({ name: 'x', source: 'prometheus', query: 'x', comparator: sli.comparator, threshold: 0, judge: judgeYaml }).judge;
}

interface Case {
  label: string;
  judge: Judge;
  threshold: number;
}

interface Outcome {
  /** Series that triggered a rollback. */
  rollbacks: number;
  /** Series that went blind ("cannot see, will not act") at some look. */
  blind: number;
  /** Interval of the trigger, per series that triggered. */
  delays: number[];
  series: number;
}

/**
 * Pre- and post-deploy samples with noise of sd σ. `overlap` > 1 makes each sample the mean of the
 * last `overlap` raw points (rescaled to sd σ), as a Prometheus rate(…[5m]) read every minute is;
 * a step then ramps in over `overlap` samples, as it does in such a series.
 */
function samples(rnd: SeededRandom, sli: Sli, step: number, overlap: number): { base: number[]; post: number[] } {
  const raw = Array.from({ length: overlap - 1 + BASELINE_SAMPLES + INTERVALS }, (_, k) => rnd.normal() * Math.sqrt(overlap) + (k >= overlap - 1 + BASELINE_SAMPLES ? step / sli.sd : 0));
  const all = Array.from({ length: BASELINE_SAMPLES + INTERVALS }, (_, i) => sli.mean + (sli.sd * raw.slice(i, i + overlap).reduce((a, b) => a + b, 0)) / overlap);
  return { base: all.slice(0, BASELINE_SAMPLES), post: all.slice(BASELINE_SAMPLES) };
}

/** `shiftSd`: the step at the deploy in baseline sds, positive = in the SLI's bad direction. */
function simulate(c: Case, sli: Sli, shiftSd: number, seed: number, overlap = 1): Outcome {
  const rnd = seededRandom(seed);
  const bad = sli.comparator === 'lt' || sli.comparator === 'lte' ? -1 : 1;
  const out: Outcome = { rollbacks: 0, blind: 0, delays: [], series: SERIES };
  for (let s = 0; s < SERIES; s++) {
    const { base, post } = samples(rnd, sli, bad * shiftSd * sli.sd, overlap);
    const series: Measurement[] = [];
    let wentBlind = false;
    for (let i = 1; i <= INTERVALS; i++) {
      // The source's instant baseline is the last pre-deploy point; "current" is the newest sample.
      const v = judge(c.judge, { comparator: sli.comparator, threshold: c.threshold, baseline: base[BASELINE_SAMPLES - 1]!, current: post[i - 1]!, baselineSamples: base, currentSamples: post.slice(0, i) });
      series.push({ at: String(i), ...v });
      const phase = evaluateSeries(series, limits).phase;
      if (phase === 'blind') wentBlind = true;
      if (phase === 'degraded') {
        out.rollbacks++;
        out.delays.push(i);
        break;
      }
    }
    if (wentBlind) out.blind++;
  }
  return out;
}

/** The smallest K such that at least `q` of all series triggered within K intervals (Infinity if never). */
function within(o: Outcome, q: number): number {
  const sorted = [...o.delays].sort((a, b) => a - b);
  const need = Math.ceil(q * o.series);
  return need <= sorted.length ? sorted[need - 1]! : Infinity;
}

const rate = (o: Outcome) => o.rollbacks / o.series;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function cases(sli: Sli): Case[] {
  const worse = (k: number) => sli.mean + (sli.comparator === 'lt' ? -1 : 1) * k * sli.sd;
  const relBound = (2 * sli.sd) / sli.mean;
  return [
    { label: `absolute, threshold at mean − 2σ`, judge: configured({ kind: 'absolute' }, sli), threshold: worse(2) },
    { label: `relative, maxDegradation ${relBound.toFixed(3)} (2σ), threshold at mean − 1σ`, judge: configured({ kind: 'relative', maxDegradation: relBound }, sli), threshold: worse(1) },
    { label: 'mann-whitney (defaults: confidence 0.98, minSamples 20)', judge: configured({ kind: 'mann-whitney' }, sli), threshold: worse(2) },
    { label: 'sequential (defaults: alpha 0.05, minSamples 3, tau 1)', judge: configured({ kind: 'sequential' }, sli), threshold: worse(2) },
  ];
}

const SEQ_ALPHA = 0.05;
/**
 * Why 0.02 above alpha: with 1,000 series the Monte-Carlo standard error of a 5 % rate is 0.7 %
 * (2 SE ≈ 1.4 %), and σ is estimated from 60 baseline samples (about 9 % relative error), which
 * makes the plug-in test slightly overconfident. Ville's bound is for unlimited looks; 60 looks
 * at a stationary series usually sit well below it.
 */
const TOLERANCE = 0.02;
const OVERLAP = 5;
/**
 * The long-run variance is estimated from 60 autocorrelated baseline samples, which under-corrects
 * a little; measured here at about alpha, stated with room for that estimate's error.
 */
const OVERLAP_TOLERANCE = 0.03;
/** From what the run measured: 95 % of series caught by interval 8 (lt) and 9 (gt); the earliest possible is 5 (minSamples 3 + failureLimit 3 − 1). */
const DETECT_WITHIN = 9;

describe('judges under continuous checking (seeded simulation)', () => {
  it('sequential: rolls back at most alpha + tolerance of no-change deploys, in both directions', () => {
    for (const [sli, seed] of [[ACCURACY, 1], [LATENCY, 2]] as const) {
      const o = simulate(cases(sli).at(-1)!, sli, 0, seed);
      expect(rate(o), `${sli.comparator}: ${o.rollbacks} of ${o.series}`).toBeLessThanOrEqual(SEQ_ALPHA + TOLERANCE);
      // Warm-up (minSamples 3) stays under the default inconclusiveLimit: no "cannot see" page.
      expect(o.blind).toBe(0);
    }
  });

  it(`sequential: catches a 2σ step in the bad direction in ≥ 95 % of series within ${DETECT_WITHIN} intervals, in both directions`, () => {
    for (const [sli, seed] of [[ACCURACY, 3], [LATENCY, 4]] as const) {
      const o = simulate(cases(sli).at(-1)!, sli, 2, seed);
      expect(within(o, 0.95), `${sli.comparator}: delays ${median(o.delays)} median`).toBeLessThanOrEqual(DETECT_WITHIN);
    }
  });

  it('sequential: a 2σ improvement is not a reason to roll back', () => {
    for (const [sli, seed] of [[ACCURACY, 5], [LATENCY, 6]] as const) {
      expect(rate(simulate(cases(sli).at(-1)!, sli, -2, seed))).toBeLessThanOrEqual(SEQ_ALPHA + TOLERANCE);
    }
  });

  it('sequential: overlapping samples (rate over 5 min, read every minute) do not multiply false rollbacks', () => {
    const o = simulate(cases(ACCURACY).at(-1)!, ACCURACY, 0, 7, OVERLAP);
    expect(rate(o), `${o.rollbacks} of ${o.series}`).toBeLessThanOrEqual(SEQ_ALPHA + OVERLAP_TOLERANCE);
  });

  it('measures every judge the same way and prints the table', () => {
    const tables = [1, OVERLAP].map((overlap) => {
      const rows = cases(ACCURACY).map((c, k) => {
        const none = simulate(c, ACCURACY, 0, 100 + k + 10 * overlap, overlap);
        const step = simulate(c, ACCURACY, 2, 200 + k + 10 * overlap, overlap);
        for (const o of [none, step]) {
          expect(o.series).toBe(SERIES);
          expect(rate(o)).toBeGreaterThanOrEqual(0);
          expect(rate(o)).toBeLessThanOrEqual(1);
        }
        const k95 = within(step, 0.95);
        return `| ${c.label} | ${pct(rate(none))} | ${pct(none.blind / none.series)} | ${pct(rate(step))} | ${median(step.delays) ?? '—'} | ${Number.isFinite(k95) ? k95 : `> ${INTERVALS}`} |`;
      });
      return [
        overlap === 1 ? '**Independent samples**' : `**Overlapping samples** (each the mean of the last ${overlap} raw points, like rate(…[${overlap}m]) read every minute)`,
        '',
        '| judge | false rollbacks (no change) | went blind (no change) | 2σ step caught in 60 intervals | median delay (intervals) | 95 % caught within (intervals) |',
        '|---|---|---|---|---|---|',
        ...rows,
      ].join('\n');
    });
    const heading = `Accuracy-like SLI (lt), mean ${ACCURACY.mean}, σ ${ACCURACY.sd}, normal noise; ${SERIES} series per cell; ${BASELINE_SAMPLES} pre-deploy samples, ${INTERVALS} intervals; failureLimit ${limits.failureLimit}, inconclusiveLimit ${limits.inconclusiveLimit}`;
    console.log(`\n${heading}\n\n${tables.join('\n\n')}\n`);
    expect(tables).toHaveLength(2);
  });
});
