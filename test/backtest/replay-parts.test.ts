import { describe, expect, it } from 'vitest';
import { ReplaySliSource } from '../../src/backtest/replay-source.js';
import { parseSeriesCsv, SliTimeline } from '../../src/backtest/series.js';
import type { SliSpec } from '../../src/domain/sli.js';
import { VirtualClock } from '../../src/runtime/virtual-clock.js';

const spec: SliSpec = { name: 'accuracy', source: 'prometheus', query: 'x', comparator: 'lt', threshold: 0.88 };

function source(text: string) {
  const r = parseSeriesCsv(text, ['accuracy']);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return new ReplaySliSource(new Map([['accuracy', new SliTimeline(r.rows)]]));
}

const ctx = (now: string, baselineAt = '2025-03-04T09:59:00Z') => ({ service: 's', now: new Date(now), baselineAt: new Date(baselineAt), currentVersion: null, baselineVersion: null });

describe('the recorded series', () => {
  it('reads empty, NaN and ±Inf as no data and "error" as a provider failure; rows may come in any order', () => {
    const r = parseSeriesCsv('at,sli,value\r\n# a comment\n2025-03-04T10:02:00Z,accuracy,error\n2025-03-04T10:00:00+01:00,accuracy,NaN\n\n2025-03-04T10:01:00Z,accuracy,\n2025-03-04T10:03:00Z,accuracy,+Inf\n2025-03-04T10:04:00.5Z, accuracy , 0.9 \n', ['accuracy']);
    expect(r.ok && r.rows.map((x) => [new Date(x.at).toISOString(), x.value])).toEqual([
      ['2025-03-04T09:00:00.000Z', null],
      ['2025-03-04T10:01:00.000Z', null],
      ['2025-03-04T10:02:00.000Z', 'error'],
      ['2025-03-04T10:03:00.000Z', null],
      ['2025-03-04T10:04:00.500Z', 0.9],
    ]);
  });

  it('names the line of a duplicate row and of a row with too many columns', () => {
    const r = parseSeriesCsv('at,sli,value\n2025-03-04T10:00:00Z,accuracy,0.9\n2025-03-04T10:00:00Z,accuracy,0.8\n2025-03-04T10:01:00Z,accuracy,0,9\n', ['accuracy']);
    expect(!r.ok && r.problems).toEqual([
      { line: 3, column: 1, message: 'accuracy at 2025-03-04T10:00:00.000Z is already given on line 2; keep one row per SLI and time' },
      { line: 4, message: 'expected 3 columns (at,sli,value), found 4; a value must not contain a comma' },
    ]);
  });
});

describe('the replay source', () => {
  const s = source('at,sli,value\n2025-03-04T09:58:00Z,accuracy,0.93\n2025-03-04T10:00:00Z,accuracy,0.92\n2025-03-04T10:02:00Z,accuracy,error\n2025-03-04T10:03:00Z,accuracy,0.8\n');

  it('serves the latest row at or before the time asked, and no data before the first', async () => {
    expect(await s.measure(spec, ctx('2025-03-04T10:01:30Z'))).toEqual({ current: 0.92, baseline: 0.93 });
    expect(await s.measure(spec, ctx('2025-03-04T10:00:00Z', '2025-03-04T09:00:00Z'))).toEqual({ current: 0.92, baseline: null });
    expect(await s.measure(spec, ctx('2025-03-04T10:02:10Z'))).toEqual({ error: 'the provider failed (recorded "error" at 2025-03-04T10:02:10.000Z)' });
  });

  it('answers a range query point by point; a failure recorded inside the window is a gap, at its end the query fails', async () => {
    const window = (start: string, end: string) => ({ start: new Date(start), end: new Date(end), stepSeconds: 60 });
    expect(await s.range(spec, window('2025-03-04T09:59:00Z', '2025-03-04T10:03:00Z'))).toEqual({
      points: [[Date.parse('2025-03-04T09:59:00Z') / 1000, 0.93], [Date.parse('2025-03-04T10:00:00Z') / 1000, 0.92], [Date.parse('2025-03-04T10:01:00Z') / 1000, 0.92], [Date.parse('2025-03-04T10:02:00Z') / 1000, null], [Date.parse('2025-03-04T10:03:00Z') / 1000, 0.8]],
    });
    expect(await s.range(spec, window('2025-03-04T10:00:00Z', '2025-03-04T10:02:00Z'))).toHaveProperty('error');
  });
});

describe('the virtual clock', () => {
  it('fires timers in time order as it advances, with now() at each due time', () => {
    const clock = new VirtualClock('2025-03-04T10:00:00Z');
    const seen: string[] = [];
    clock.at(new Date('2025-03-04T10:02:00Z'), () => seen.push(`b ${clock.now().toISOString()}`));
    clock.at(new Date('2025-03-04T10:01:00Z'), () => seen.push(`a ${clock.now().toISOString()}`));
    const cancel = clock.at(new Date('2025-03-04T10:01:30Z'), () => seen.push('cancelled'));
    cancel();
    expect(clock.nextDue()).toBe(Date.parse('2025-03-04T10:01:00Z'));
    clock.advance(5 * 60_000);
    expect(seen).toEqual(['a 2025-03-04T10:01:00.000Z', 'b 2025-03-04T10:02:00.000Z']);
    expect(clock.now().toISOString()).toBe('2025-03-04T10:05:00.000Z');
    expect(clock.pending).toBe(0);
  });

  it('lets a sleeper wake only when the driver moves time past it', async () => {
    const clock = new VirtualClock('2025-03-04T10:00:00Z');
    let woke: string | undefined;
    void clock.sleep(30_000).then(() => (woke = clock.now().toISOString()));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBeUndefined();
    clock.advanceTo(clock.nextDue()!);
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe('2025-03-04T10:00:30.000Z');
  });
});
