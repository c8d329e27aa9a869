import { describe, expect, it } from 'vitest';
import { parsePolicy, type Policy } from '../../src/config/policy.js';
import { assessSli } from '../../src/domain/judge.js';

/** A one-SLI policy whose SLI is written inline (YAML flow syntax). */
const policy = (sli: string) => `
prometheus: { url: http://prometheus:9090 }
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    approvers: { users: [U0AAA] }
    adapter: { kind: local-registry, model: fraud-scorer }
    slis:
      - ${sli}
`;

function sliOf(text: string): Policy['services'][string]['slis'][number] {
  const r = parsePolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.policy.services['fraud-scorer']!.slis[0]!;
}

const problems = (text: string) => {
  const r = parsePolicy(text);
  return r.ok ? [] : r.problems;
};

describe('policy: judges', () => {
  it('keeps `factor` on a higher-is-worse SLI, meaning "current > factor × baseline"', () => {
    const sli = sliOf(policy('{ name: error_ratio, source: prometheus, query: q, comparator: gt, threshold: 0.01, judge: { kind: relative, factor: 2 } }'));
    expect(assessSli(sli, { baseline: 0.02, current: 0.039 }).verdict).toBe('ok');
    expect(assessSli(sli, { baseline: 0.02, current: 0.041 }).verdict).toBe('breach');
  });

  it.each(['lt', 'lte'])('refuses `factor` on a lower-is-worse SLI (%s) and names maxDegradation as the fix', (comparator) => {
    const p = problems(policy(`{ name: accuracy, source: prometheus, query: q, comparator: ${comparator}, threshold: 0.85, judge: { kind: relative, factor: 1.1 } }`));
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe('services.fraud-scorer.slis.0.judge.factor');
    expect(p[0]!.message).toMatch(/maxDegradation: 0\.05/);
  });

  it('reads maxDegradation on accuracy as "this fraction below the baseline"', () => {
    const sli = sliOf(policy('{ name: accuracy, source: prometheus, query: q, comparator: lt, threshold: 0.88, judge: { kind: relative, maxDegradation: 0.05 } }'));
    expect(assessSli(sli, { baseline: 0.91, current: 0.864 }).verdict).toBe('breach');
    expect(assessSli(sli, { baseline: 0.91, current: 0.866 }).verdict).toBe('ok');
  });

  it.each([
    ['neither', 'judge: { kind: relative }', /give `maxDegradation`/],
    ['both', 'judge: { kind: relative, maxDegradation: 0.1, factor: 2 }', /not both/],
    ['100 % below', 'comparator: lt, judge: { kind: relative, maxDegradation: 1 }', /below 1/],
  ])('refuses a relative judge with %s', (_what, judge, message) => {
    const comparator = judge.includes('comparator') ? '' : 'comparator: gt, ';
    const p = problems(policy(`{ name: x, source: prometheus, query: q, ${comparator}threshold: 1, ${judge} }`));
    expect(p.map((x) => x.message).join('\n')).toMatch(message);
  });

  it('gives a sequential judge its documented defaults', () => {
    const sli = sliOf(policy('{ name: p99, source: prometheus, query: q, comparator: gt, threshold: 250, judge: { kind: sequential } }'));
    expect(sli.judge).toEqual({ kind: 'sequential', alpha: 0.05, minSamples: 3, minBaselineSamples: 30, tau: 1 });
  });

  it.each(['mann-whitney', 'sequential'])('refuses a %s judge on a static source, which keeps no history', (kind) => {
    const p = problems(policy(`{ name: accuracy, source: static, values: { baseline: 0.91, current: 0.9 }, comparator: lt, threshold: 0.85, judge: { kind: ${kind} } }`));
    expect(p).toEqual([{ path: 'services.fraud-scorer.slis.0.judge', message: expect.stringMatching(/static source keeps no history/) }]);
  });
});
