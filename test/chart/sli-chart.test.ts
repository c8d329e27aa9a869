import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { chartSvg, echartsSliCharts } from '../../src/chart/sli-chart.js';
import type { SliChartInput } from '../../src/ports/sli-chart.js';

const start = new Date('2024-05-01T10:00:00Z');
const end = new Date('2024-05-01T11:00:00Z');
const at = (min: number) => start.getTime() / 1000 + min * 60;

const input: SliChartInput = {
  title: 'fraud-scorer: SLIs over incident inc-1',
  start, end,
  series: [
    { name: 'accuracy', comparator: 'lt', threshold: 0.85, baseline: 0.91, points: Array.from({ length: 61 }, (_, m): [number, number | null] => [at(m), m < 20 ? 0.91 : m < 40 ? 0.8 : m === 45 ? null : 0.9]) },
    { name: 'p99 latency', unit: 'ms', comparator: 'gt', threshold: 300, baseline: 120, points: Array.from({ length: 61 }, (_, m): [number, number | null] => [at(m), m < 20 ? 120 : m < 40 ? 450 : 130]) },
  ],
  marks: [{ label: 'deploy v42', at: new Date(start.getTime() + 20 * 60_000) }, { label: 'rollback to v41', at: new Date(start.getTime() + 40 * 60_000) }],
};

describe('SLI chart', () => {
  it('draws a PNG with one panel per SLI, its name, unit, threshold, baseline and the deploy and rollback marks', async () => {
    const svg = chartSvg(input);
    for (const words of ['accuracy', 'p99 latency (ms)', 'breach &lt; 0.85', 'breach &gt; 300 ms', 'baseline 0.91', 'deploy v42', 'rollback to v41']) expect(svg).toContain(words);
    const png = PNG.sync.read(await echartsSliCharts.png(input));
    expect(png.width).toBe(960);
    expect(png.height).toBe(56 + 2 * 260);
    // Not blank: many pixels are drawn, in several colours (line, threshold, baseline, text).
    const colours = new Set<number>();
    let inked = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
      if (r < 240 || g < 240 || b < 240) inked++;
      colours.add((r << 16) | (g << 8) | b);
    }
    expect(inked).toBeGreaterThan(5000);
    expect(colours.size).toBeGreaterThan(50);
    const red = [...colours].some((c) => (c >> 16) > 200 && ((c >> 8) & 0xff) < 60 && (c & 0xff) < 60);
    expect(red).toBe(true);
  });

  it('says so when an SLI has no data in the window, and still draws', async () => {
    const empty = { ...input, series: [{ ...input.series[0]!, points: [] }] };
    expect(chartSvg(empty)).toContain('no data in this window');
    const png = PNG.sync.read(await echartsSliCharts.png(empty));
    expect(png.height).toBe(56 + 260);
  });
});
