import type { Deps } from './deps.js';
import { padded, sliChartInput } from './sli-series.js';

const HOUR = 3_600_000;
/** A deploy older than this is not "recent": the chart shows the last hour instead. */
const LONGEST = 24 * HOUR;

export type ServiceChart =
  | { ok: true; png: Buffer; filename: string; title: string; altText: string }
  | { ok: false; message: string };

/**
 * A service's SLIs as a PNG (`/backstop status <service>`): since its latest deploy when that
 * was within a day, else the last hour, with its rollbacks of the window marked. Reads the SLI
 * sources: call it outside transactions.
 */
export async function serviceChart(deps: Deps, service: string): Promise<ServiceChart> {
  const svc = deps.service(service);
  if (!svc) return { ok: false, message: `Unknown service "${service}". Configured: ${Object.keys(deps.policy.services).join(', ')}.` };
  if (!deps.charts) return { ok: false, message: 'Charts are not available in this build.' };
  if (svc.slis.length === 0) return { ok: false, message: `${service} has no SLIs to chart.` };
  const now = deps.clock.now();
  const deploy = (await deps.store.deploys.recent(service, 1))[0];
  const deployedAt = deploy && now.getTime() - Date.parse(deploy.at) < LONGEST ? new Date(deploy.at) : null;
  const from = deployedAt && now.getTime() - deployedAt.getTime() > HOUR ? deployedAt : new Date(now.getTime() - HOUR);
  const window = padded(from, now);
  const proposals = (await deps.store.proposals.recent(service, 10))
    .filter((p) => Date.parse(p.createdAt) >= window.start.getTime())
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const input = await sliChartInput(deps, svc, { ...window, proposals, deployedAt, title: `${service}: SLIs ${deployedAt ? `since the deploy of ${deploy?.version}` : 'over the last hour'} (UTC)` });
  const png = await deps.charts.png(input);
  const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '');
  return {
    ok: true, png, filename: `sli-chart-${service}-${stamp}.png`, title: `SLIs of ${service} at ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    altText: `Chart of ${svc.slis.map((s) => s.name).join(', ')} for ${service}, with baseline, threshold and deploys marked`,
  };
}
