import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateSeries, type Measurement, type MeasurementVerdict } from '../../src/domain/analysis.js';
import { judge } from '../../src/domain/judge.js';
import { checkAutomaticRollback, type GuardPolicy } from '../../src/domain/guards.js';
import { mannWhitney } from '../../src/domain/mann-whitney.js';

const verdict = fc.constantFrom<MeasurementVerdict>('ok', 'breach', 'no_data', 'error');
const series = (v: fc.Arbitrary<MeasurementVerdict>) => fc.array(v, { maxLength: 40 }).map((vs) => vs.map((x, i): Measurement => ({ at: new Date(i * 60_000).toISOString(), verdict: x, reason: x })));
const limits = fc.record({ failureLimit: fc.integer({ min: 1, max: 6 }), inconclusiveLimit: fc.integer({ min: 1, max: 6 }) });

function tailStreak(s: Measurement[], pred: (v: MeasurementVerdict) => boolean): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && pred(s[i]!.verdict); i--) n++;
  return n;
}

describe('series analysis (properties)', () => {
  it('never triggers with fewer than failureLimit consecutive breaches at the end', () => {
    fc.assert(fc.property(series(verdict), limits, (s, l) => {
      const r = evaluateSeries(s, l);
      if (r.phase === 'degraded') expect(tailStreak(s, (v) => v === 'breach')).toBeGreaterThanOrEqual(l.failureLimit);
    }), { numRuns: 5000 });
  });

  it('always triggers once the breach streak reaches failureLimit', () => {
    fc.assert(fc.property(series(verdict), limits, (s, l) => {
      if (tailStreak(s, (v) => v === 'breach') >= l.failureLimit) expect(evaluateSeries(s, l).phase).toBe('degraded');
    }), { numRuns: 5000 });
  });

  it('never triggers on inconclusive data, however long; no data escalates at inconclusiveLimit, errors at consecutiveErrorLimit', () => {
    const withErrors = fc.record({ failureLimit: fc.integer({ min: 1, max: 6 }), inconclusiveLimit: fc.integer({ min: 1, max: 6 }), consecutiveErrorLimit: fc.integer({ min: 1, max: 6 }) });
    fc.assert(fc.property(series(fc.constantFrom<MeasurementVerdict>('no_data', 'error', 'ok')), withErrors, (s, l) => {
      const r = evaluateSeries(s, l);
      expect(r.phase).not.toBe('degraded');
      const noData = tailStreak(s, (v) => v === 'no_data');
      const errors = tailStreak(s, (v) => v === 'error');
      const mixed = tailStreak(s, (v) => v === 'no_data' || v === 'error');
      const blind = noData >= l.inconclusiveLimit || errors >= l.consecutiveErrorLimit || mixed >= Math.max(l.inconclusiveLimit, l.consecutiveErrorLimit);
      expect(r.phase === 'blind').toBe(blind);
      if (errors >= l.consecutiveErrorLimit) expect(r).toMatchObject({ phase: 'blind', cause: 'error' });
    }), { numRuns: 5000 });
  });

  it('does not call a sample judge that is still collecting post-deploy samples blind', () => {
    const collecting = Array.from({ length: 10 }, (_, i): Measurement => ({ at: String(i), verdict: 'no_data', reason: `${i} of 20 post-deploy samples so far`, collecting: true }));
    expect(evaluateSeries(collecting, { failureLimit: 3, inconclusiveLimit: 3 })).toMatchObject({ phase: 'watching', reason: '9 of 20 post-deploy samples so far' });
    const thenDark = [...collecting, ...['no_data', 'no_data', 'no_data'].map((v, i): Measurement => ({ at: String(20 + i), verdict: v as MeasurementVerdict, reason: 'no data for the current value' }))];
    expect(evaluateSeries(thenDark, { failureLimit: 3, inconclusiveLimit: 3 }).phase).toBe('blind');
  });

  it('keeps provider errors and missing data in separate streaks', () => {
    const at = (vs: MeasurementVerdict[]) => vs.map((v, i): Measurement => ({ at: String(i), verdict: v, reason: v === 'error' ? 'could not measure: ECONNREFUSED' : 'no data for the current value' }));
    const l = { failureLimit: 3, inconclusiveLimit: 3, consecutiveErrorLimit: 5 };
    expect(evaluateSeries(at(['error', 'error', 'error']), l).phase).toBe('watching');
    expect(evaluateSeries(at(['error', 'error', 'error', 'error', 'error']), l)).toMatchObject({ phase: 'blind', cause: 'error' });
    expect(evaluateSeries(at(['no_data', 'no_data', 'no_data']), l)).toMatchObject({ phase: 'blind', cause: 'no_data' });
  });

  it('a single blip never triggers when failureLimit is above one', () => {
    fc.assert(fc.property(fc.array(fc.constant<MeasurementVerdict>('ok'), { maxLength: 20 }), fc.integer({ min: 2, max: 6 }), (oks, failureLimit) => {
      const s = [...oks, 'breach' as const].map((v, i) => ({ at: String(i), verdict: v, reason: v }));
      expect(evaluateSeries(s, { failureLimit, inconclusiveLimit: 3 }).phase).toBe('watching');
    }));
  });
});

describe('judges', () => {
  it('absolute: breach past the threshold, with the numbers in the reason', () => {
    expect(judge({ kind: 'absolute' }, { comparator: 'gt', threshold: 0.01, baseline: 0.002, current: 0.09 })).toEqual({ verdict: 'breach', reason: '0.09 > 0.01 (threshold)' });
    expect(judge({ kind: 'absolute' }, { comparator: 'gt', threshold: 0.01, baseline: 0.002, current: null }).verdict).toBe('no_data');
    expect(judge({ kind: 'absolute' }, { comparator: 'gt', threshold: 0.01, baseline: 0.002, current: 0.5, error: 'timeout' }).verdict).toBe('error');
  });

  it.each([
    // error ratio: more than 100 % above baseline (i.e. over 2×) AND above 1 % absolute
    [0.002, 0.003, 'ok'], // not 2×
    [0.002, 0.005, 'ok'], // 2× but under 1 %
    [0.004, 0.012, 'breach'],
    [0.02, 0.03, 'ok'], // above 1 % but not 2×
  ] as const)('relative: baseline %s, current %s → %s', (baseline, current, expected) => {
    expect(judge({ kind: 'relative', maxDegradation: 1 }, { comparator: 'gt', threshold: 0.01, baseline, current }).verdict).toBe(expected);
  });

  it('relative on a lower-is-worse SLI breaches when it falls more than maxDegradation below baseline', () => {
    // accuracy 0.91, 5 % allowed: the relative bound is 0.8645.
    expect(judge({ kind: 'relative', maxDegradation: 0.05 }, { comparator: 'lt', threshold: 0.88, baseline: 0.91, current: 0.86 }).verdict).toBe('breach');
    expect(judge({ kind: 'relative', maxDegradation: 0.05 }, { comparator: 'lt', threshold: 0.88, baseline: 0.91, current: 0.87 }).verdict).toBe('ok');
  });

  it('Mann-Whitney flags a real shift and needs enough samples', () => {
    const base = Array.from({ length: 30 }, (_, i) => 100 + (i % 7));
    const shifted = base.map((v) => v + 20);
    const mw = { kind: 'mann-whitney' as const, confidence: 0.98, minSamples: 10 };
    expect(judge(mw, { comparator: 'gt', threshold: 0, baseline: null, current: null, baselineSamples: base, currentSamples: shifted }).verdict).toBe('breach');
    expect(judge(mw, { comparator: 'gt', threshold: 0, baseline: null, current: null, baselineSamples: base, currentSamples: shifted.slice(0, 5) }).verdict).toBe('no_data');
    // Shifted the good way (lower latency) is not a breach of a higher-is-worse SLI.
    expect(judge(mw, { comparator: 'gt', threshold: 0, baseline: null, current: null, baselineSamples: shifted, currentSamples: base }).verdict).toBe('ok');
  });

  it('Mann-Whitney stays at or below its false-positive rate on samples from one distribution', () => {
    // Deterministic PRNG so the rate is reproducible.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const normal = () => Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand());
    const confidence = 0.95;
    const runs = 2000;
    let positives = 0;
    for (let r = 0; r < runs; r++) {
      const a = Array.from({ length: 40 }, () => 200 + 30 * normal());
      const b = Array.from({ length: 40 }, () => 200 + 30 * normal());
      if (judge({ kind: 'mann-whitney', confidence, minSamples: 10 }, { comparator: 'gt', threshold: 0, baseline: null, current: null, baselineSamples: a, currentSamples: b }).verdict === 'breach') positives++;
    }
    // One-sided test at alpha 0.05: expect ~5 %; allow sampling noise (3 standard errors).
    expect(positives / runs).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt(0.05 * 0.95 / runs));
  });

  it('mannWhitney handles ties and symmetric samples', () => {
    const r = mannWhitney([1, 1, 1, 2], [1, 1, 1, 2])!;
    expect(r.z).toBeCloseTo(0, 5);
    expect(mannWhitney([], [1])).toBeNull();
  });
});

describe('automatic rollback guards', () => {
  const policy: GuardPolicy = { cooldownMs: 30 * 60_000, maxAutomaticPerDay: 2, pingPongWindowMs: 24 * 3_600_000, freeze: [{ from: '2026-12-24T00:00:00Z', to: '2026-12-27T00:00:00Z', reason: 'holiday freeze' }] };
  const now = new Date('2026-11-23T12:00:00Z');
  const ago = (min: number) => new Date(now.getTime() - min * 60_000).toISOString();

  it.each([
    ['allows a first rollback', {}, { ok: true }],
    ['an open proposal absorbs the trigger', { openProposalId: 'rb-1' }, { ok: false, code: 'open_proposal' }],
    ['freeze window', { now: new Date('2026-12-25T10:00:00Z') }, { ok: false, code: 'freeze' }],
    ['cool-down after a rollback 10 min ago', { history: [{ at: ago(10), from: 'v40', to: 'v39', automatic: false }] }, { ok: false, code: 'cooldown' }],
    ['outside the cool-down', { history: [{ at: ago(31), from: 'v40', to: 'v39', automatic: false }] }, { ok: true }],
    ['daily limit', { history: [{ at: ago(100), from: 'a', to: 'b', automatic: true }, { at: ago(200), from: 'c', to: 'd', automatic: true }] }, { ok: false, code: 'daily_limit' }],
    ['manual rollbacks do not count toward the daily limit', { history: [{ at: ago(100), from: 'a', to: 'b', automatic: false }, { at: ago(200), from: 'c', to: 'd', automatic: false }] }, { ok: true }],
    ['no ping-pong back to a version rolled back from', { history: [{ at: ago(120), from: 'v41', to: 'v40', automatic: true }] }, { ok: false, code: 'ping_pong' }],
    ['ping-pong window expired', { history: [{ at: ago(25 * 60), from: 'v41', to: 'v40', automatic: true }] }, { ok: true }],
  ] as const)('%s', (_name, facts, expected) => {
    const r = checkAutomaticRollback(policy, { now, target: 'v41', history: [], openProposalId: null, ...(facts as object) });
    expect(r).toMatchObject(expected);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(10);
  });
});
