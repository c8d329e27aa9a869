import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/run-backtest.js';
import { parseSeriesCsv } from '../../src/backtest/series.js';
import { parsePolicy } from '../../src/config/policy.js';
import { csv, DEPLOY_AT, examplePolicy, minute } from './support.js';

async function replay(policyYaml: string, series: string) {
  const p = parsePolicy(policyYaml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  const rows = parseSeriesCsv(series, ['accuracy', 'latency_p99']);
  if (!rows.ok) throw new Error(JSON.stringify(rows.problems));
  return runBacktest({ policy: p.policy, service: 'fraud-scorer', rows: rows.rows, deployAt: new Date(DEPLOY_AT), versions: { previous: 'v41', deployed: 'v42' } });
}

const at = (hhmm: string) => `2025-03-04T${hhmm}:00.000Z`;
const events = (r: Awaited<ReturnType<typeof replay>>) => r.events.map((e) => [e.type, e.at.slice(11, 16), e.guard ?? null]);

describe('runBacktest', () => {
  it('in propose mode, a trigger waits for approvers: nothing is rolled back, and an expired proposal is proposed again', async () => {
    const r = await replay(examplePolicy([['mode: automatic', 'mode: propose']]), csv((t) => (minute(t) >= 5 ? 0.81 : 0.93)));
    expect(r.mode).toBe('propose');
    const triggers = r.events.filter((e) => e.type === 'trigger');
    expect(triggers[0]).toMatchObject({ at: at('10:07'), automatic: false, from: 'v42', to: 'v41' });
    expect(r.events.filter((e) => e.type === 'rollback' || e.type === 'refused')).toEqual([]);
    // proposalTtl 30m: it expires at 10:37 with nobody approving, and the still-degraded service is proposed again.
    const expired = r.decisions.find((d) => d.action === 'proposal.expired');
    expect(expired?.at).toBe(at('10:37'));
    expect(triggers).toHaveLength(2);
    expect(Date.parse(triggers[1]!.at)).toBeGreaterThanOrEqual(Date.parse(at('10:37')));
    expect(Date.parse(triggers[1]!.at)).toBeLessThanOrEqual(Date.parse(at('10:38')));
    // What Slack would have shown: the proposal in the service channel.
    expect(r.posted.some((p) => p.channel === 'C0FRAUDOPS' && p.text.includes('fraud-scorer'))).toBe(true);
  });

  it('after an automatic rollback, later breaches meet the cool-down and then the daily limit, as in production', async () => {
    const policy = examplePolicy([
      ['maxAutomaticPerDay: 2', 'maxAutomaticPerDay: 1'],
      ['prometheus:', 'defaults: { proposalTtl: 5m }\nprometheus:'],
    ]);
    // Three separate drops: 10:05-10:09, 10:20-10:25, 10:45-10:50.
    const bad = (m: number) => (m >= 5 && m < 10) || (m >= 20 && m < 26) || (m >= 45 && m < 51);
    const r = await replay(policy, csv((t) => (bad(minute(t)) ? 0.8 : 0.93), '2025-03-04T11:00:00Z'));
    expect(events(r)).toEqual([
      ['trigger', '10:07', null],
      ['rollback', '10:09', null],
      // 13 min after the rollback: inside the 30 min cool-down.
      ['trigger', '10:22', null],
      ['refused', '10:22', 'cooldown'],
      // The cool-down is over at 10:39, but one automatic rollback today is the limit.
      ['trigger', '10:47', null],
      ['refused', '10:47', 'daily_limit'],
    ]);
    expect(r.events.find((e) => e.guard === 'daily_limit')!.reason).toContain('limit 1');
    // The rollback target after the first rollback is the release before it.
    expect(r.events.filter((e) => e.type === 'trigger').map((e) => `${e.from}→${e.to}`)).toEqual(['v42→v41', 'v41→before-v41', 'v41→before-v41']);
  });

  it('gives a Mann-Whitney judge its pre- and post-deploy samples from the recording', async () => {
    const policy = examplePolicy([['        threshold: 0.88\n', '        threshold: 0.88\n        judge: { kind: mann-whitney, minSamples: 5, confidence: 0.98 }\n']]);
    const r = await replay(policy, csv((t) => (minute(t) >= 2 ? 0.8 + (minute(t) % 3) / 1000 : 0.93 - ((minute(t) + 40) % 4) / 1000)));
    const accuracy = r.measurements.filter((m) => m.sli === 'accuracy');
    expect(accuracy[0]!.reason).toContain('post-deploy samples so far');
    const judged = accuracy.find((m) => m.verdict === 'breach');
    expect(judged?.reason).toMatch(/Mann-Whitney one-sided p=.* vs \d+ samples/);
    expect(r.events.some((e) => e.type === 'trigger')).toBe(true);
  });

  it('gives a sequential judge its samples too, so it reaches a verdict instead of waiting forever', async () => {
    const policy = examplePolicy([['        threshold: 0.88\n', '        threshold: 0.88\n        judge: { kind: sequential, minBaselineSamples: 10 }\n']]);
    const r = await replay(policy, csv((t) => (minute(t) >= 5 ? 0.81 : 0.93 - ((minute(t) + 40) % 4) / 1000)));
    const breach = r.measurements.find((m) => m.sli === 'accuracy' && m.verdict === 'breach');
    expect(breach?.reason).toMatch(/^sequential test: evidence Λ=.* that it got lower/);
    expect(r.events.some((e) => e.type === 'trigger')).toBe(true);
  });

  it('treats empty values and NaN as no data, and escalates once per streak', async () => {
    const r = await replay(examplePolicy(), csv((t) => (minute(t) >= 3 && minute(t) < 8 ? (minute(t) % 2 ? 'NaN' : '') : 0.93)));
    expect(r.measurements.filter((m) => m.sli === 'accuracy' && m.verdict === 'no_data').map((m) => m.at.slice(11, 16))).toEqual(['10:03', '10:04', '10:05', '10:06', '10:07']);
    // inconclusiveLimit 3: blind at the third, said once.
    expect(events(r)).toEqual([['escalate', '10:05', null]]);
  });
});
