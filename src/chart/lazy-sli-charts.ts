import type { SliCharts } from '../ports/sli-chart.js';

/**
 * The charts, loaded on first use: echarts alone costs about half a second and 40 MB at start-up,
 * for a picture drawn once per postmortem or `/backstop status <service>`.
 */
export function lazySliCharts(): SliCharts {
  let loaded: Promise<SliCharts> | undefined;
  return {
    async png(input) {
      loaded ??= import('./sli-chart.js').then((m) => m.echartsSliCharts);
      return (await loaded).png(input);
    },
  };
}
