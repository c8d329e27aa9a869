import { describe, expect, it } from 'vitest';
import { assessSli } from '../../src/domain/judge.js';
import { overallVerdict, type SliSpec } from '../../src/domain/sli.js';
import { reading } from '../support/builders.js';

const accuracy: SliSpec = { name: 'accuracy', source: 'static', comparator: 'lt', threshold: 0.85 };
const latency: SliSpec = { name: 'p99', source: 'static', comparator: 'gt', threshold: 250 };

describe('SLI assessment', () => {
  it('flags a breach below a lower bound with a readable reason', () => {
    const r = assessSli(accuracy, { baseline: 0.91, current: 0.8 });
    expect(r).toMatchObject({ verdict: 'breach', baseline: 0.91, current: 0.8 });
    expect(r.reason).toBe('0.8 < 0.85 (threshold)');
  });
  it('is ok on the right side of the threshold', () => {
    expect(assessSli(accuracy, { baseline: 0.91, current: 0.9 }).verdict).toBe('ok');
    expect(assessSli(latency, { baseline: 100, current: 250 }).verdict).toBe('ok');
    expect(assessSli(latency, { baseline: 100, current: 251 }).verdict).toBe('breach');
  });
  it('honours inclusive comparators at the boundary', () => {
    expect(assessSli({ ...accuracy, comparator: 'lte' }, { baseline: null, current: 0.85 }).verdict).toBe('breach');
    expect(assessSli({ ...latency, comparator: 'gte' }, { baseline: null, current: 250 }).verdict).toBe('breach');
  });
  it('calls missing data inconclusive (no data), never ok', () => {
    expect(assessSli(accuracy, { baseline: 0.9, current: null })).toMatchObject({ verdict: 'no_data' });
    expect(assessSli(accuracy, { baseline: 0.9, current: Number.NaN })).toMatchObject({ verdict: 'no_data' });
  });
  it('calls a provider error inconclusive (error), never a breach', () => {
    const r = assessSli(accuracy, { error: 'timeout after 5s' });
    expect(r).toMatchObject({ verdict: 'error' });
    expect(r.reason).toContain('timeout after 5s');
  });
  it('lets the worst verdict win overall, and nothing measured is inconclusive', () => {
    expect(overallVerdict([reading({ verdict: 'ok' }), reading({ verdict: 'breach' })])).toBe('breach');
    expect(overallVerdict([reading({ verdict: 'ok' }), reading({ verdict: 'no_data' })])).toBe('inconclusive');
    expect(overallVerdict([reading({ verdict: 'ok' }), reading({ verdict: 'error' })])).toBe('inconclusive');
    expect(overallVerdict([reading({ verdict: 'ok' })])).toBe('ok');
    expect(overallVerdict([])).toBe('inconclusive');
  });
  it('judges with the SLI\'s configured judge, the same one analysis uses', () => {
    const relative: SliSpec = { ...latency, judge: { kind: 'relative', maxDegradation: 1 } };
    // Past the threshold but not twice the baseline: the relative judge says ok where absolute says breach.
    expect(assessSli(latency, { baseline: 200, current: 300 }).verdict).toBe('breach');
    expect(assessSli(relative, { baseline: 200, current: 300 })).toMatchObject({ verdict: 'ok' });
    expect(assessSli(relative, { baseline: 100, current: 300 })).toMatchObject({ verdict: 'breach' });
    expect(assessSli(relative, { baseline: null, current: 300 })).toMatchObject({ verdict: 'no_data', reason: 'no baseline to compare with' });
  });
  it('needs samples for a Mann-Whitney judge and says so when they are missing', () => {
    const mw: SliSpec = { ...latency, judge: { kind: 'mann-whitney', confidence: 0.95, minSamples: 5 } };
    expect(assessSli(mw, { baseline: 100, current: 300 })).toMatchObject({ verdict: 'no_data' });
    const before = [100, 101, 99, 102, 98, 100, 101];
    const after = [300, 310, 290, 305, 295, 300, 302];
    expect(assessSli(mw, { baseline: 100, current: 300, baselineSamples: before, currentSamples: after }).verdict).toBe('breach');
    expect(assessSli(mw, { baseline: 100, current: 100, baselineSamples: before, currentSamples: before }).verdict).toBe('ok');
  });
});
