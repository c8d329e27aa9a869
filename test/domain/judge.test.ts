import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessSli, judge, needsSamples, SAMPLE_JUDGES, type Judge, type JudgeInput } from '../../src/domain/judge.js';
import type { Comparator } from '../../src/domain/sli.js';
import { seededRandom } from '../support/seeded-random.js';

const lowerIsWorse: Comparator[] = ['lt', 'lte'];
const higherIsWorse: Comparator[] = ['gt', 'gte'];

describe('relative judge: maxDegradation means the same in both directions', () => {
  const rel = (maxDegradation: number): Judge => ({ kind: 'relative', maxDegradation });

  it.each(lowerIsWorse)('accuracy (%s): baseline 0.91, maxDegradation 0.05 → breach below 0.8645 and past the threshold', (comparator) => {
    const at = (current: number, threshold = 0.88) => judge(rel(0.05), { comparator, threshold, baseline: 0.91, current });
    expect(at(0.864)).toMatchObject({ verdict: 'breach' });
    expect(at(0.864).reason).toMatch(/5\.\d+ % lower than baseline 0\.91 \(more than the 5 % allowed\) and [<≤] 0\.88/);
    expect(at(0.865)).toMatchObject({ verdict: 'ok', reason: expect.stringContaining('within the 5 % allowed') });
    // Past the relative bound, but the threshold says it is still good enough.
    expect(at(0.85, 0.8)).toMatchObject({ verdict: 'ok', reason: expect.stringContaining('but not') });
    // Better than before is never a breach.
    expect(at(0.95, 0.99)).toMatchObject({ verdict: 'ok', reason: expect.stringContaining('not lower') });
  });

  it.each(higherIsWorse)('p99 latency (%s): baseline 200 ms, maxDegradation 0.5 → breach above 300 ms', (comparator) => {
    const at = (current: number) => judge(rel(0.5), { comparator, threshold: 250, baseline: 200, current });
    expect(at(301)).toMatchObject({ verdict: 'breach', reason: expect.stringMatching(/50\.\d+ % higher than baseline 200 \(more than the 50 % allowed\) and [>≥] 250/) });
    expect(at(299)).toMatchObject({ verdict: 'ok', reason: expect.stringContaining('within the 50 % allowed') });
    expect(at(120)).toMatchObject({ verdict: 'ok', reason: expect.stringContaining('not higher') });
  });

  it('the inclusive comparators include the threshold itself', () => {
    expect(judge(rel(0.05), { comparator: 'lte', threshold: 0.85, baseline: 0.91, current: 0.85 }).verdict).toBe('breach');
    expect(judge(rel(0.05), { comparator: 'lt', threshold: 0.85, baseline: 0.91, current: 0.85 }).verdict).toBe('ok');
    expect(judge(rel(0.5), { comparator: 'gte', threshold: 400, baseline: 200, current: 400 }).verdict).toBe('breach');
    expect(judge(rel(0.5), { comparator: 'gt', threshold: 400, baseline: 200, current: 400 }).verdict).toBe('ok');
  });

  it('getting worse never turns a breach back into ok, in either direction', () => {
    fc.assert(fc.property(fc.constantFrom<Comparator>('lt', 'lte', 'gt', 'gte'), fc.double({ min: 0.01, max: 1e4, noNaN: true }), fc.double({ min: 0.01, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (comparator, baseline, maxDegradation, f, worsen) => {
      const lower = comparator === 'lt' || comparator === 'lte';
      const x: JudgeInput = { comparator, threshold: baseline, baseline, current: baseline * f };
      const worse = { ...x, current: lower ? x.current! * (1 - worsen) : x.current! * (1 + worsen) };
      if (judge(rel(maxDegradation), x).verdict === 'breach') expect(judge(rel(maxDegradation), worse).verdict).toBe('breach');
    }));
  });

  it('has no baseline to be a fraction of when it is missing, zero or negative', () => {
    for (const baseline of [null, 0, -0.5]) {
      const r = judge(rel(0.5), { comparator: 'gt', threshold: 0.01, baseline, current: 0.2 });
      expect(r.verdict).toBe('no_data');
      expect(r.reason).toMatch(baseline === null ? /no baseline/ : /not positive/);
    }
  });
});

/** Baseline and post-deploy samples from seeded noise, the post-deploy ones moved by `shift`. */
function samples(seed: number, shift: number, n = 30, m = 60, mean = 100, sd = 10) {
  const rnd = seededRandom(seed);
  return {
    baselineSamples: Array.from({ length: m }, () => mean + sd * rnd.normal()),
    currentSamples: Array.from({ length: n }, () => mean + shift + sd * rnd.normal()),
  };
}

const input = (comparator: Comparator, s: Pick<JudgeInput, 'baselineSamples' | 'currentSamples'>): JudgeInput => ({ comparator, threshold: 0, baseline: null, current: null, ...s });

describe('mann-whitney judge', () => {
  const mw: Judge = { kind: 'mann-whitney', confidence: 0.98, minSamples: 10 };

  it.each([...lowerIsWorse.map((c) => [c, -1] as const), ...higherIsWorse.map((c) => [c, 1] as const)])('%s: breaches on a shift in the bad direction only, with p and direction in the reason', (comparator, bad) => {
    const worse = judge(mw, input(comparator, samples(1, bad * 15)));
    expect(worse.verdict).toBe('breach');
    expect(worse.reason).toMatch(new RegExp(`${bad < 0 ? 'lower' : 'higher'} than before the deploy \\(Mann-Whitney one-sided p=[0-9.e-]+ < 0\\.02`));
    const better = judge(mw, input(comparator, samples(2, -bad * 15)));
    expect(better.verdict).toBe('ok');
    expect(better.reason).toMatch(/not significantly .* p=[0-9.e-]+ ≥ 0\.02/);
  });

  it('has no data until minSamples post-deploy points exist, and says how many it has', () => {
    const r = judge(mw, input('gt', samples(3, 50, 4)));
    expect(r).toMatchObject({ verdict: 'no_data', reason: expect.stringContaining('4 of 10 post-deploy samples') });
    expect(judge(mw, input('gt', samples(3, 50, 10))).verdict).toBe('breach');
    expect(judge(mw, input('gt', samples(3, 50, 10, 6))).reason).toContain('6 of 10 pre-deploy samples');
  });
});

describe('sequential judge', () => {
  const seq: Judge = { kind: 'sequential', alpha: 0.05, minSamples: 3, minBaselineSamples: 30, tau: 1 };

  it.each([...lowerIsWorse.map((c) => [c, -1] as const), ...higherIsWorse.map((c) => [c, 1] as const)])('%s: a 2σ move in the bad direction breaches, the same move the good way does not', (comparator, bad) => {
    const worse = judge(seq, input(comparator, samples(4, bad * 20, 6)));
    expect(worse.verdict).toBe('breach');
    expect(worse.reason).toMatch(/Λ=\S+ ≥ 20 \(1\/alpha\)/);
    expect(worse.reason).toMatch(new RegExp(`shift [+-]\\S+ \\([+-]\\S+ sd, ${bad < 0 ? 'lower' : 'higher'} is worse\\), 6 samples`));
    const better = judge(seq, input(comparator, samples(5, -bad * 20, 6)));
    expect(better).toMatchObject({ verdict: 'ok', reason: expect.stringMatching(/Λ=\S+ < 20/) });
  });

  it('is ok on noise alone and names the estimated shift', () => {
    const r = judge(seq, input('lt', samples(6, 0, 20)));
    expect(r.verdict).toBe('ok');
    expect(r.reason).toMatch(/post-deploy mean \S+ vs baseline \S+: shift/);
  });

  it('says when overlapping samples count for fewer independent ones', () => {
    const rnd = seededRandom(10);
    const raw = Array.from({ length: 84 }, () => rnd.normal());
    const smooth = raw.slice(0, 80).map((_, i) => 100 + 10 * raw.slice(i, i + 5).reduce((a, b) => a + b, 0) / 5);
    const r = judge(seq, input('gt', { baselineSamples: smooth.slice(0, 60), currentSamples: smooth.slice(60) }));
    expect(r.reason).toMatch(/20 samples \(overlapping: worth ~\d+ independent\)/);
  });

  it('waits for minSamples post-deploy samples and for enough baseline to estimate the noise', () => {
    expect(judge(seq, input('gt', samples(7, 100, 2)))).toMatchObject({ verdict: 'no_data', reason: expect.stringContaining('2 of 3 post-deploy samples') });
    expect(judge(seq, input('gt', samples(7, 100, 5, 12)))).toMatchObject({ verdict: 'no_data', reason: expect.stringContaining('12 of 30 pre-deploy samples') });
  });

  it('ignores gaps (null, NaN) rather than reading them as values', () => {
    const s = samples(8, 20, 6);
    const gappy = { ...s, currentSamples: [null, ...s.currentSamples, Number.NaN] };
    expect(judge(seq, input('gt', gappy))).toEqual(judge(seq, input('gt', s)));
  });

  it('a flat baseline: unchanged is ok, anything else cannot be judged against zero noise', () => {
    const flat = Array.from({ length: 40 }, () => 0);
    expect(judge(seq, { comparator: 'gt', threshold: 0, baseline: 0, current: 0, baselineSamples: flat, currentSamples: [0, 0, 0] }).verdict).toBe('ok');
    expect(judge(seq, { comparator: 'gt', threshold: 0, baseline: 0, current: 0.2, baselineSamples: flat, currentSamples: [0, 0.1, 0.2] })).toMatchObject({ verdict: 'no_data', reason: expect.stringContaining('do not vary') });
  });
});

describe('which judges need samples', () => {
  it('distribution judges need history; absolute and relative read two values', () => {
    expect([...SAMPLE_JUDGES].sort()).toEqual(['mann-whitney', 'sequential']);
    expect(needsSamples({ kind: 'absolute' })).toBe(false);
    expect(needsSamples({ kind: 'relative', maxDegradation: 0.1 })).toBe(false);
    expect(needsSamples(undefined)).toBe(false);
  });

  it('assessSli hands the samples to the SLI\'s judge and reports the judge\'s reason', () => {
    const s = samples(9, 25, 8);
    const r = assessSli({ name: 'p99', source: 'prometheus', query: 'q', comparator: 'gt', threshold: 250, judge: { kind: 'sequential', alpha: 0.05, minSamples: 3, minBaselineSamples: 30, tau: 1 } }, { baseline: 100, current: 130, ...s });
    expect(r).toMatchObject({ name: 'p99', verdict: 'breach', baseline: 100, current: 130 });
    expect(r.reason).toContain('sequential test');
  });
});
