import { describe, expect, it } from 'vitest';
import { sparkline } from '../../src/domain/sparkline.js';

describe('sparkline', () => {
  it('draws the lowest value as the lowest block and the highest as the full block', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█');
  });

  it('shows a drop from 0.91 to 0.80 as full blocks followed by low blocks', () => {
    expect(sparkline([0.91, 0.91, 0.91, 0.8, 0.8], 5)).toBe('███▁▁');
  });

  it('marks missing data with a dot instead of drawing a value', () => {
    expect(sparkline([1, null, 3, Number.NaN, Number.POSITIVE_INFINITY, 2], 6)).toBe('▁·█··▅');
  });

  it('draws a flat series with the middle block, not as a floor or a ceiling', () => {
    expect(sparkline([0.5, 0.5, 0.5], 3)).toBe('▄▄▄');
    expect(sparkline([0.5, null, 0.5], 3)).toBe('▄·▄');
  });

  it('is all gaps when there is no data at all', () => {
    expect(sparkline([], 4)).toBe('····');
    expect(sparkline([null, null], 4)).toBe('····');
  });

  it('is 24 characters wide by default', () => {
    expect([...sparkline([1, 2, 3])]).toHaveLength(24);
    expect([...sparkline(Array.from({ length: 500 }, (_, i) => i))]).toHaveLength(24);
  });

  it('averages buckets when the series is longer than the width', () => {
    // 8 values into 4 cells: means 0.5, 2.5, 4.5, 6.5, scaled between the lowest and highest cell.
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 4)).toBe('▁▃▆█');
    // The markers still give the data's extremes, not the means.
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 4, { markers: true })).toBe('▁▃▆█ min 0 max 7');
    // A bucket with some data keeps the data; only an all-null bucket is a gap.
    expect(sparkline([1, null, null, null, 3, 3], 3)).toBe('▁·█');
  });

  it('repeats cells when the series is shorter than the width', () => {
    expect(sparkline([0, 1], 6)).toBe('▁▁▁███');
  });

  it('appends min and max markers on request, formatted like SLI reasons by default', () => {
    expect(sparkline([0.91, 0.91, 0.8], 3, { markers: true })).toBe('██▁ min 0.8 max 0.91');
    expect(sparkline([0.004975, 0.0909], 2, { markers: true, format: (v) => `${(v * 100).toFixed(1)}%` })).toBe('▁█ min 0.5% max 9.1%');
  });

  it('leaves markers off when there is nothing to mark', () => {
    expect(sparkline([null, null], 2, { markers: true })).toBe('··');
  });

  it('refuses a width that is not a positive integer', () => {
    expect(() => sparkline([1], 0)).toThrow(RangeError);
    expect(() => sparkline([1], 2.5)).toThrow(RangeError);
  });
});
