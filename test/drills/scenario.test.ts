import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/drills/scenario.js';
import { buildDrillPolicy } from '../../src/drills/drill-policy.js';

const VALID = `
name: tiny
title: Tiny drill
service: fraud-scorer
versions: { good: v1, bad: v2 }
alert: { name: ModelAccuracyDrop, summary: accuracy low }
slis:
  - { name: accuracy, comparator: lt, threshold: 0.85, baseline: 0.9, breach: { value: 0.7 }, recovery: { value: 0.9 } }
approvers:
  - { id: U0ALICE, name: alice, simulated: { after: 1s } }
expect: { outcome: verified }
`;

/** Parses VALID with one line replaced or appended; returns the problem paths. */
function problems(edit: (yaml: string) => string): { path: string; message: string }[] {
  const r = parseScenario(edit(VALID));
  return r.ok ? [] : r.problems;
}
const paths = (edit: (yaml: string) => string) => problems(edit).map((p) => p.path);

describe('drill scenario validation', () => {
  it('accepts a minimal scenario and fills in the defaults', () => {
    const r = parseScenario(VALID);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario).toMatchObject({ critical: false, faults: [], settle: 5000, executeAttempts: 3, slis: [{ breach: { shape: 'step', over: 600_000 } }], approvers: [{ simulated: { after: 1000, decision: 'auto' } }] });
  });

  it('names the field of a fault with a wrong attempt count', () => {
    expect(paths((y) => `${y}faults: [{ kind: adapter-fail, attempts: zero }]\n`)).toEqual(['faults.0.attempts']);
    expect(paths((y) => `${y}faults: [{ kind: adapter-fail, attempts: 0 }]\n`)).toEqual(['faults.0.attempts']);
  });

  it('names an unknown fault kind and an unknown key inside a fault', () => {
    expect(paths((y) => `${y}faults: [{ kind: network-partition }]\n`)).toEqual(['faults.0.kind']);
    const unknownKey = problems((y) => `${y}faults: [{ kind: sli-down, during: always, forever: true }]\n`);
    expect(unknownKey).toEqual([expect.objectContaining({ path: 'faults.0', message: expect.stringContaining('forever') })]);
  });

  it('refuses an approver-slow fault for someone who is not an approver', () => {
    expect(problems((y) => `${y}faults: [{ kind: approver-slow, approver: U0MALLORY, by: 10s }]\n`))
      .toEqual([{ path: 'faults.0.approver', message: 'U0MALLORY is not one of this scenario\'s approvers' }]);
  });

  it('refuses adapter faults that use up every attempt when recovery is expected', () => {
    const p = problems((y) => `${y}faults: [{ kind: adapter-fail, attempts: 2 }, { kind: adapter-timeout, attempts: 1 }]\n`);
    expect(p).toEqual([expect.objectContaining({ path: 'faults.1.attempts', message: expect.stringContaining('executeAttempts 3') })]);
  });

  it('names SLI, approver and version mistakes by their path', () => {
    expect(paths((y) => y.replace('comparator: lt', 'comparator: below'))).toEqual(['slis.0.comparator']);
    expect(paths((y) => y.replace('recovery: { value: 0.9 }', 'recovery: { value: high }'))).toEqual(['slis.0.recovery.value']);
    expect(paths((y) => y.replace('breach: { value: 0.7 }', 'breach: { value: 0.7, shape: cliff }'))).toEqual(['slis.0.breach.shape']);
    expect(paths((y) => y.replace('id: U0ALICE', 'id: alice'))).toEqual(['approvers.0.id']);
    expect(paths((y) => y.replace('{ good: v1, bad: v2 }', '{ good: v1, bad: v1 }'))).toEqual(['versions.bad']);
    expect(paths((y) => y.replace('service: fraud-scorer', 'service: Fraud Scorer'))).toEqual(['service']);
  });

  it('needs two distinct approvers for a critical service, and a recovery when it expects verified', () => {
    expect(paths((y) => `${y}critical: true\n`)).toEqual(['approvers']);
    expect(paths((y) => y.replace(', recovery: { value: 0.9 }', ''))).toEqual(['slis.0.recovery']);
    expect(paths((y) => y.replace('outcome: verified', 'outcome: fine'))).toEqual(['expect.outcome']);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems(() => 'name: [unclosed\n')).toEqual([expect.objectContaining({ path: '(yaml)', message: expect.stringMatching(/line \d+/) })]);
  });

  it('builds a drill policy that names only the drill service, its own channel and a local registry', () => {
    const r = parseScenario(VALID);
    if (!r.ok) throw new Error('invalid');
    const policy = buildDrillPolicy(r.scenario, { postmortemDir: '/tmp/pm', timeScale: 0.5 });
    expect(Object.keys(policy.services)).toEqual(['drill-fraud-scorer']);
    const svc = policy.services['drill-fraud-scorer']!;
    expect(svc.adapter).toEqual({ kind: 'local-registry', model: 'drill-fraud-scorer', alias: 'production' });
    expect(svc.match).toEqual({ service: 'drill-fraud-scorer', drill: 'true' });
    expect(svc.slis[0]!.values).toEqual({ v2: 0.7, v1: 0.9 });
    expect(policy.defaults.settle).toBe(2500);
  });
});
