/**
 * The proposal's SLI snapshot from a real Prometheus (Debian package, backfilled with promtool):
 * baseline before the deploy, value now, verdict and the last hour's shape; and with Prometheus
 * down, inconclusive readings rather than a breach or an ok.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { PrometheusSliSource } from '../../src/sli/prometheus-source.js';
import { buildHarness, firingAlert } from '../support/harness.js';
import { fraudScorerHistory, prometheusInstalled, startPrometheus, type RealPrometheus } from '../support/prometheus.js';
import { proposalPost } from '../support/messages.js';

const skip = !prometheusInstalled() && !process.env.CI;
const HOUR = 3_600_000;

const policy = (dir: string) => `
defaults: { requiredApprovals: 1, settle: 0s }
postmortemDir: ${dir}
prometheus: { url: http://127.0.0.1:1 }
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    channel: C0INCIDENT
    approvers: { users: [U0ALICE] }
    adapter: { kind: local-registry, model: fraud-scorer }
    slis:
      - { name: accuracy, source: prometheus, query: 'model_accuracy{model="fraud-scorer"}', comparator: lt, threshold: 0.85 }
      - { name: error_ratio, source: prometheus, query: 'sum(rate(http_requests_total{job="fraud-scorer",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="fraud-scorer"}[5m]))', comparator: gt, threshold: 0.02 }
`;

describe.skipIf(skip)('proposal SLIs from a real Prometheus', () => {
  let prom: RealPrometheus;
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const history = fraudScorerHistory(end);

  beforeAll(async () => {
    prom = await startPrometheus(history.openMetrics);
  });
  afterAll(() => prom?.dispose());

  function harness() {
    // v41 promoted two hours before the end of the data, v42 at the deploy one hour before it.
    const h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-prom-')), policyYaml: policy(tmpdir()), start: new Date(end.getTime() - 2 * HOUR), promoteGapMs: history.deployedAt.getTime() - (end.getTime() - 2 * HOUR) });
    h.clock.advance(end.getTime() - 5 * 60_000 - h.clock.now().getTime());
    return h;
  }

  it('shows baseline, now, breach and the shape of the last hour in the proposal', async () => {
    const h = harness();
    h.deps.sliSource = () => new PrometheusSliSource({ baseUrl: prom.baseUrl, timeoutMs: 5000 });
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    const [accuracy, errors] = p.sliBefore;
    expect(accuracy).toMatchObject({ name: 'accuracy', baseline: 0.91, current: 0.8, verdict: 'breach' });
    expect(errors!.verdict).toBe('breach');
    expect(errors!.baseline!).toBeLessThan(0.01);
    expect(errors!.current!).toBeGreaterThan(0.05);
    expect(accuracy!.sparkline).toMatch(/^█+[▂-▇]?▁+$/);
    const message = proposalPost(h.chat.posts)!;
    expect(JSON.stringify(message.blocks)).toContain('last hour');
  });

  it('calls the SLIs inconclusive, never ok or breach, when Prometheus is down', async () => {
    const h = harness();
    h.deps.sliSource = () => new PrometheusSliSource({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 });
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    expect(p.sliBefore.map((r) => r.verdict)).toEqual(['error', 'error']);
    const shown = JSON.stringify(proposalPost(h.chat.posts)!.blocks);
    expect(shown).toContain('⚠️ error');
    // The reason is shown, not only the word: people must know why Backstop cannot see.
    expect(shown).toContain(p.sliBefore[0]!.reason);
  });
});
