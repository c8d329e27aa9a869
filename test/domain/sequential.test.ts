import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logMixtureRatio, sampleSd, sequentialTest, varianceInflation } from '../../src/domain/sequential.js';
import { seededRandom } from '../support/seeded-random.js';

/** Λ by brute force: the Gaussian likelihood ratio of a shift θ, averaged over a half-normal prior of scale τ. */
function numericLambda(dBad: number, v: number, tau: number): number {
  const steps = 20_000;
  const top = 12 * tau + Math.abs(dBad) * 4;
  const h = top / steps;
  const f = (t: number) => Math.exp((t * dBad) / v - (t * t) / (2 * v)) * (2 / (tau * Math.sqrt(2 * Math.PI))) * Math.exp(-(t * t) / (2 * tau * tau));
  let s = f(0) + f(top);
  for (let i = 1; i < steps; i++) s += f(i * h) * (i % 2 ? 4 : 2);
  return (s * h) / 3;
}

describe('mixture SPRT statistic', () => {
  it.each([
    [0, 0.5, 1],
    [1.5, 0.2, 1],
    [-1, 0.3, 0.5],
    [0.4, 0.05, 2],
    [-8, 0.5, 1],
  ])('closed form matches the mixture integral (d %s, v %s, τ %s)', (d, v, tau) => {
    expect(logMixtureRatio(d, v, tau * tau)).toBeCloseTo(Math.log(numericLambda(d, v, tau)), 4);
  });

  it('grows with a shift in the bad direction and stays below 1 for none or a good one', () => {
    fc.assert(fc.property(fc.double({ min: -20, max: 20, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), fc.double({ min: 0.01, max: 4, noNaN: true }), fc.double({ min: 0.1, max: 3, noNaN: true }), (d, more, v, tau) => {
      const t2 = tau * tau;
      expect(logMixtureRatio(d + more, v, t2)).toBeGreaterThanOrEqual(logMixtureRatio(d, v, t2) - 1e-6); // the erfc fit is good to ~1e-7
      if (d <= 0) expect(logMixtureRatio(d, v, t2)).toBeLessThan(0);
    }));
  });

  it('stays finite far in the good direction, where Φ itself would underflow', () => {
    const far = logMixtureRatio(-1e4, 1, 1);
    expect(Number.isFinite(far)).toBe(true);
    expect(far).toBeLessThan(logMixtureRatio(-10, 1, 1));
  });

  it('means the same for higher-is-worse and lower-is-worse SLIs (mirror images)', () => {
    const rnd = seededRandom(7);
    const b = Array.from({ length: 40 }, () => 100 + 10 * rnd.normal());
    const c = Array.from({ length: 12 }, () => 112 + 10 * rnd.normal());
    const up = sequentialTest(b, c, { alpha: 0.05, tau: 1, bad: 'higher' })!;
    const down = sequentialTest(b.map((x) => -x), c.map((x) => -x), { alpha: 0.05, tau: 1, bad: 'lower' })!;
    expect(down.logLambda).toBeCloseTo(up.logLambda, 9);
    expect(down.breach).toBe(up.breach);
    expect(up.breach).toBe(true);
  });

  it('counts the baseline mean\'s own error: a short baseline needs more evidence', () => {
    const rnd = seededRandom(8);
    const long = Array.from({ length: 240 }, () => rnd.normal());
    const short = long.slice(0, 15);
    const post = Array.from({ length: 10 }, () => 0.8 + rnd.normal());
    // Same post-deploy samples and the same noise, shifted to the same baseline mean: only m differs.
    const centre = (xs: number[], mu: number) => xs.map((x) => x - xs.reduce((s, y) => s + y, 0) / xs.length + mu);
    const sdLong = sampleSd(long);
    const shortScaled = centre(short, 0).map((x) => (x * sdLong) / sampleSd(short));
    const o = { alpha: 0.05, tau: 1, bad: 'higher' as const };
    expect(sequentialTest(shortScaled, post, o)!.logLambda).toBeLessThan(sequentialTest(centre(long, 0), post, o)!.logLambda);
  });

  it('counts overlapping samples (a rate over 5 min read every minute) for less than independent ones', () => {
    const rnd = seededRandom(9);
    const raw = Array.from({ length: 244 }, () => rnd.normal());
    const iid = raw.slice(0, 240);
    const overlapping = iid.map((_, i) => raw.slice(i, i + 5).reduce((a, b) => a + b, 0) / 5);
    expect(varianceInflation(iid)).toBeGreaterThanOrEqual(1);
    expect(varianceInflation(overlapping)).toBeGreaterThan(2 * varianceInflation(iid));
    // Same baseline sd and mean, same post-deploy samples: the overlapping baseline yields less evidence.
    const scale = (xs: number[]) => xs.map((x) => x / sampleSd(xs));
    const post = Array.from({ length: 10 }, () => 1 + rnd.normal());
    const o = { alpha: 0.05, tau: 1, bad: 'higher' as const };
    const centred = (xs: number[]) => xs.map((x) => x - xs.reduce((a, b) => a + b, 0) / xs.length);
    expect(sequentialTest(centred(scale(overlapping)), post, o)!.logLambda).toBeLessThan(sequentialTest(centred(scale(iid)), post, o)!.logLambda);
  });

  it('has nothing to say without noise in the baseline or without samples', () => {
    expect(sequentialTest([5, 5, 5], [6], { alpha: 0.05, tau: 1, bad: 'higher' })).toBeNull();
    expect(sequentialTest([1, 2, 3], [], { alpha: 0.05, tau: 1, bad: 'higher' })).toBeNull();
  });
});
