/**
 * SLI charts as PNG: echarts draws SVG server-side (no DOM, no canvas), resvg rasterises it. Both
 * ship their binaries inside their npm packages; text uses DejaVu Sans (fonts-dejavu-core).
 */
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { comparatorSymbol, fmt } from '../domain/sli.js';
import type { SliChartInput, SliChartSeries, SliCharts } from '../ports/sli-chart.js';

const WIDTH = 960;
const PANEL = 260;
const HEAD = 56;
const FONT = 'DejaVu Sans';
const COLOURS = { line: '#2563eb', threshold: '#dc2626', baseline: '#6b7280', mark: '#7c3aed' };

function withUnit(v: number, unit?: string): string {
  return unit ? `${fmt(v)} ${unit}` : fmt(v);
}

/** The echarts option of one chart: a panel per SLI, stacked. */
export function chartOption(input: SliChartInput): echarts.EChartsCoreOption {
  const top = (i: number) => HEAD + i * PANEL;
  const short = input.end.getTime() - input.start.getTime() < 15 * 60_000;
  const panel = (s: SliChartSeries, i: number) => ({
    title: { text: `${s.name}${s.unit ? ` (${s.unit})` : ''}`, subtext: s.points.some(([, v]) => v !== null) ? '' : 'no data in this window', left: 60, top: top(i), textStyle: { fontSize: 14, fontFamily: FONT }, subtextStyle: { fontFamily: FONT } },
    grid: { left: 80, right: 150, top: top(i) + 36, height: PANEL - 80 },
    xAxis: { type: 'time', gridIndex: i, min: input.start.getTime(), max: input.end.getTime(), axisLabel: { fontFamily: FONT, formatter: short ? '{HH}:{mm}:{ss}' : '{HH}:{mm}' } },
    yAxis: { type: 'value', gridIndex: i, scale: true, axisLabel: { fontFamily: FONT } },
    series: {
      type: 'line', name: s.name, xAxisIndex: i, yAxisIndex: i, showSymbol: s.points.length < 40, connectNulls: false, ...(s.stepped ? { step: 'end' } : {}),
      lineStyle: { width: 2, color: COLOURS.line }, itemStyle: { color: COLOURS.line },
      data: s.points.map(([t, v]) => [t * 1000, v]),
      markLine: {
        symbol: 'none', animation: false,
        label: { fontFamily: FONT, position: 'end', formatter: '{b}' },
        data: [
          { name: `breach ${comparatorSymbol(s.comparator)} ${withUnit(s.threshold, s.unit)}`, yAxis: s.threshold, lineStyle: { color: COLOURS.threshold, type: 'solid', width: 2 } },
          ...(s.baseline !== null ? [{ name: `baseline ${withUnit(s.baseline, s.unit)}`, yAxis: s.baseline, lineStyle: { color: COLOURS.baseline, type: 'dashed', width: 1.5 } }] : []),
          // Alternate label places, so a deploy and a rollback close together stay readable.
          ...input.marks.map((m, k) => ({ name: m.label, xAxis: m.at.getTime(), label: { position: k % 2 ? 'insideEndBottom' : 'end' }, lineStyle: { color: COLOURS.mark, type: 'dashed', width: 1.5 } })),
        ],
      },
    },
  });
  const panels = input.series.map(panel);
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT },
    title: [{ text: input.title, left: 'center', top: 12, textStyle: { fontSize: 16, fontFamily: FONT } }, ...panels.map((p) => p.title)],
    grid: panels.length ? panels.map((p) => p.grid) : [{ top: HEAD + 36, height: PANEL - 80 }],
    xAxis: panels.length ? panels.map((p) => p.xAxis) : [{ type: 'time', min: input.start.getTime(), max: input.end.getTime() }],
    yAxis: panels.length ? panels.map((p) => p.yAxis) : [{ type: 'value' }],
    series: panels.map((p) => p.series),
  };
}

export function chartSize(input: SliChartInput): { width: number; height: number } {
  return { width: WIDTH, height: HEAD + Math.max(1, input.series.length) * PANEL };
}

/** The SVG of a chart; the echarts instance is disposed, or it would keep the process alive. */
export function chartSvg(input: SliChartInput): string {
  const { width, height } = chartSize(input);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(chartOption(input));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

export const echartsSliCharts: SliCharts = {
  async png(input) {
    const svg = chartSvg(input);
    const png = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: FONT } }).render().asPng();
    return Buffer.from(png);
  },
};
