import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csv, DEPLOY_AT, examplePolicy, minute, POLICY_FILE, runCli, SERIES_FILE } from './support.js';

interface Json {
  events: { at: string; type: string; reason: string; guard?: string; automatic?: boolean }[];
  measurements: { at: string; sli: string; value: number | null; verdict: string; reason: string }[];
  posted: { at: string; text: string }[];
}

const dir = mkdtempSync(join(tmpdir(), 'backstop-backtest-'));
const example = ['backtest', '--policy', POLICY_FILE, '--service', 'fraud-scorer', '--series', SERIES_FILE, '--deploy-at', DEPLOY_AT];

describe('backstop backtest (the real CLI)', () => {
  it('on the shipped example triggers at the third breaching minute, rolls back after the grace, and the cool-down refuses the second', async () => {
    const r = await runCli([...example, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    // Interval 1m, failureLimit 3, drop recorded from 10:05: breaches at 10:05, 10:06, 10:07.
    const [first, second] = out.events.filter((e) => e.type === 'trigger');
    expect(first).toMatchObject({ at: '2025-03-04T10:07:00.000Z', automatic: true });
    expect(first!.reason).toContain('breached 3 times in a row (failureLimit 3)');
    // grace 2m
    expect(out.events.filter((e) => e.type === 'rollback').map((e) => e.at)).toEqual(['2025-03-04T10:09:00.000Z']);
    // The recording stays bad after the simulated rollback; the next trigger meets the cool-down.
    const refused = out.events.filter((e) => e.type === 'refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ at: second!.at, guard: 'cooldown' });
    expect(refused[0]!.reason).toContain('30 min cool-down');
    expect(Date.parse(refused[0]!.at)).toBeGreaterThan(Date.parse('2025-03-04T10:09:00Z'));
    expect(second!.automatic).toBe(false);
    // What was measured each minute, with the judge's reason.
    expect(out.measurements.find((m) => m.at === '2025-03-04T10:05:00.000Z' && m.sli === 'accuracy')).toMatchObject({ value: 0.813, verdict: 'breach', reason: '0.813 < 0.88 (threshold)' });
    expect(out.posted.some((p) => p.text.includes('cool-down'))).toBe(true);
  });

  it('prints the same JSON every time for the same data', async () => {
    const [a, b] = await Promise.all([runCli([...example, '--json']), runCli([...example, '--json'])]);
    expect(a.stdout.length).toBeGreaterThan(1000);
    expect(a.stdout).toBe(b.stdout);
  });

  it('prints each interval and a summary as text', async () => {
    const r = await runCli([...example, '--previous', 'v41', '--deployed', 'v42']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2025-03-04T10:05:00.000Z  accuracy 0.813 BREACH: 0.813 < 0.88 (threshold)');
    expect(r.stdout).toMatch(/triggered at\s+2025-03-04T10:07:00.000Z .*\(rb-\d+: v42 → v41, automatic/);
    expect(r.stdout).toMatch(/rolled back at\s+2025-03-04T10:09:00.000Z {2}automatic rollback v42 → v41/);
    expect(r.stdout).toMatch(/refused at\s+\S+ {2}by the cool-down guard: last rollback at 2025-03-04T10:09:00.000Z/);
  });

  it('escalates when the provider keeps failing, and does not act', async () => {
    const series = join(dir, 'errors.csv');
    writeFileSync(series, csv((t) => (minute(t) >= 5 ? 'error' : 0.93)));
    const r = await runCli(['backtest', '--policy', POLICY_FILE, '--service', 'fraud-scorer', '--series', series, '--deploy-at', DEPLOY_AT, '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    // consecutiveErrorLimit defaults to 4: errors at 10:05..10:08.
    expect(out.events.map((e) => [e.type, e.at])).toEqual([['escalate', '2025-03-04T10:08:00.000Z']]);
    expect(out.events[0]!.reason).toContain('accuracy: 4 provider errors in a row');
    expect(out.measurements.find((m) => m.at === '2025-03-04T10:05:00.000Z' && m.sli === 'accuracy')!.verdict).toBe('error');
  });

  it('refuses a bad CSV with exit 2, naming the line, the column and the fix', async () => {
    const series = join(dir, 'bad.csv');
    writeFileSync(series, 'at,sli,value\n2025-03-04T10:00:00Z,accuracy,0.93\n2025-03-04T10:01:00Z,accuracy,high\n2025-03-04 10:02,accuracy,0.9\n2025-03-04T10:03:00Z,acuracy,0.9\n');
    const r = await runCli(['backtest', '--policy', POLICY_FILE, '--service', 'fraud-scorer', '--series', series, '--deploy-at', DEPLOY_AT]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${series}: line 3, column 3 (value): "high" is not a number; leave it empty for no data, or write "error" where the provider failed`);
    expect(r.stderr).toContain(`${series}: line 4, column 1 (at): "2025-03-04 10:02" is not an ISO 8601 time`);
    expect(r.stderr).toContain(`${series}: line 5, column 2 (sli): "acuracy" is not an SLI of this service; its SLIs are: accuracy, latency_p99`);
  });

  it('refuses a wrong header, missing flags and an unknown service with exit 2', async () => {
    const series = join(dir, 'header.csv');
    writeFileSync(series, 'time,name,v\n');
    const header = await runCli(['backtest', '--policy', POLICY_FILE, '--service', 'fraud-scorer', '--series', series, '--deploy-at', DEPLOY_AT]);
    expect(header.status).toBe(2);
    expect(header.stderr).toContain('line 1: the header must be exactly "at,sli,value"');
    const flags = await runCli(['backtest', '--policy', POLICY_FILE, '--service', 'fraud-scorer', '--deploy-at', DEPLOY_AT]);
    expect(flags.status).toBe(2);
    expect(flags.stderr).toContain('give either --series FILE or --from ISO --to ISO');
    expect(flags.stderr).toContain('usage:');
    const svc = await runCli(['backtest', '--policy', POLICY_FILE, '--service', 'ranker', '--series', SERIES_FILE, '--deploy-at', DEPLOY_AT]);
    expect(svc.status).toBe(2);
    expect(svc.stderr).toContain('no service "ranker" (the policy has: fraud-scorer)');
  });

  it('takes pre-deploy data from --baseline', async () => {
    const policy = join(dir, 'relative.yaml');
    // Judge accuracy against the pre-deploy baseline: more than 5 % below it (and under 0.88).
    writeFileSync(policy, examplePolicy([['        threshold: 0.88\n', '        threshold: 0.88\n        judge: { kind: relative, maxDegradation: 0.05 }\n']]));
    const baseline = join(dir, 'baseline.csv');
    writeFileSync(baseline, 'at,sli,value\n2025-03-04T09:58:00Z,accuracy,0.95\n2025-03-04T09:58:00Z,latency_p99,0.2\n');
    const series = join(dir, 'after.csv');
    writeFileSync(series, csv((t) => (minute(t) >= 5 ? 0.87 : 0.94)).split('\n').filter((l, i) => i === 0 || l === '' || l >= '2025-03-04T10:00').join('\n'));
    const r = await runCli(['backtest', '--policy', policy, '--service', 'fraud-scorer', '--series', series, '--baseline', baseline, '--deploy-at', DEPLOY_AT, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    expect(out.measurements.find((m) => m.at === '2025-03-04T10:05:00.000Z' && m.sli === 'accuracy')!.reason).toContain('lower than baseline 0.95');
    expect(out.events.find((e) => e.type === 'trigger')!.at).toBe('2025-03-04T10:07:00.000Z');
  });
});
