/**
 * Figure 3p: alert → proposal as in production, with SLIs read from a real Prometheus (the one
 * test/sli starts: promtool-backfilled history, served on loopback) and the production Slack
 * pacing on; and approval → adapter on the same bot. Skipped, and said so, without Prometheus.
 */
import { SLACK_PACING } from '../../src/slack/outbox-drainer.js';
import { fraudScorerHistory, prometheusInstalled, PROMETHEUS_BIN, startPrometheus } from '../support/prometheus.js';
import { newDb, startBackstop, type Context } from './context.js';
import { approvalLatency, boltApprovalLatency, proposalLatency, relayLatency } from './measure.js';
import { PROPOSAL_SAMPLES, WARMUP, log, wanted } from './settings.js';

/** The main policy with each service's static SLIs replaced by two PromQL SLIs (a gauge and a rate ratio). */
function withPrometheus(policy: string, url: string): string {
  const slis = `      - { name: accuracy, source: prometheus, query: 'model_accuracy{model="fraud-scorer"}', comparator: lt, threshold: 0.85 }
      - { name: error_ratio, source: prometheus, query: 'sum(rate(http_requests_total{job="fraud-scorer",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="fraud-scorer"}[5m]))', comparator: gt, threshold: 0.02 }
`;
  return `prometheus: { url: ${url} }\n${policy.replace(/ {6}- \{ name: accuracy, source: static.*\n {6}- \{ name: p99_latency, source: static.*\n/g, slis)}`;
}

export async function prometheusFigures(ctx: Context): Promise<void> {
  if (!wanted('3p')) return;
  if (!prometheusInstalled()) {
    const why = `Prometheus is not installed (${PROMETHEUS_BIN} and promtool; Debian: apt-get install prometheus)`;
    if (ctx.rep === 0) ctx.notes.push(`figure 3p (alert → proposal with Prometheus, pacing on) skipped: ${why}`);
    log(`figure 3p skipped: ${why}`);
    return;
  }
  log('figure 3p: alert → proposal with a real Prometheus and Slack pacing on…');
  const prom = await startPrometheus(fraudScorerHistory(new Date()).openMetrics);
  try {
    const db = newDb(ctx, 'prometheus', 0);
    const host = await startBackstop(ctx, 'backstop-prometheus', db.file, withPrometheus(ctx.policies.main, prom.baseUrl), { pacing: SLACK_PACING });
    await host.checkClock();
    const samples = Array.from({ length: WARMUP + PROPOSAL_SAMPLES }, (_, k) => k);
    const p = await proposalLatency(host, ctx.ws, samples, WARMUP, { settle: false });
    const relay = await relayLatency(ctx.bare, ctx.ws, samples);
    const a = await approvalLatency(host, ctx.ws, p.messages, { settle: false });
    const boltExec = await boltApprovalLatency(ctx.bolt, ctx.ws, p.messages.get(0)!, PROPOSAL_SAMPLES);
    await host.stop();
    const f = p.latency;
    ctx.figures.push({ id: '3p', name: 'alert → proposal posted, p50 (Prometheus SLIs, pacing on)', unit: 'ms', backstop: f.p50, baseline: relay.p50, baselineName: 'bare http + WebClient post', ratio: f.p50 / relay.p50, target: '' });
    ctx.figures.push({ id: '3p', name: 'alert → proposal posted, p99 (Prometheus SLIs, pacing on)', unit: 'ms', backstop: f.p99, baseline: relay.p99, baselineName: 'bare http + WebClient post', ratio: f.p99 / relay.p99, target: '< 1,000 ms', check: (b) => b < 1000, detail: { backstop: f, baseline: relay } });
    ctx.figures.push({ id: '3p', name: 'approval → adapter execute, p99 (Prometheus SLIs, pacing on)', unit: 'ms', backstop: a.p99, baseline: boltExec.p99, baselineName: 'bare Bolt listener', ratio: a.p99 / boltExec.p99, target: '< 100 ms', check: (b) => b < 100, detail: { backstop: a, baseline: boltExec } });
    log(`  alert → proposal p50 ${f.p50.toFixed(1)} / p99 ${f.p99.toFixed(1)} ms; approval → execute p99 ${a.p99.toFixed(1)} ms`);
  } finally {
    await prom.dispose();
  }
}
