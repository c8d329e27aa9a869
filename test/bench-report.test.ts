import { describe, expect, it } from 'vitest';
import { aggregate, table, type Figure } from './bench/report.js';

const fig = (backstop: number, baseline: number, over: Partial<Figure> = {}): Figure => ({
  id: '2', name: 'intake', unit: 'alerts/s', backstop, baseline, baselineName: 'floor', ratio: backstop / baseline, target: 'ratio ≥ 0.5', check: (_b, r) => r >= 0.5, ...over,
});

describe('the benchmark report', () => {
  it('gives min, median and max over the repetitions, each ratio against its own repetition, and judges the median', () => {
    const [row] = aggregate([[fig(100, 400)], [fig(300, 400)], [fig(200, 200)]]);
    expect(row).toMatchObject({ reps: 3, backstop: { min: 100, median: 200, max: 300 }, ratio: { min: 0.25, median: 0.75, max: 1 }, met: true });
  });

  it('leaves out a ratio measured while the load generator was the limit, and says so', () => {
    const rows = aggregate([[fig(100, 400, { refused: 'a load generator was at 93 % CPU' })], [fig(300, 400)]]);
    expect(rows[0]!.ratio.median).toBe(0.75);
    expect(table(rows)).toContain('1 of 2 not reported: a load generator was at 93 % CPU');
  });

  it('does not call a ratio target met when no repetition could report the ratio', () => {
    const [row] = aggregate([[fig(100, 400, { refused: 'bound' })]]);
    expect(row!.met).toBe(false);
  });
});
