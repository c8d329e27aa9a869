import { mkdtempSync } from 'node:fs';
import { proposalPost } from '../support/messages.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CoordinatedAdapter } from '../../src/adapters/coordinated.js';
import { LocalRegistryAdapter } from '../../src/adapters/local-registry/adapter.js';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordDecision } from '../../src/app/record-decision.js';
import type { ExecuteOutcome, ExecuteRequest, RollbackAdapter } from '../../src/ports/rollback-adapter.js';
import type { SliSource } from '../../src/ports/sli-source.js';
import { buildHarness, firingAlert, POLICY_YAML } from '../support/harness.js';

function harness(policyYaml = POLICY_YAML) {
  return buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-st-')), policyYaml });
}

async function proposeAndApprove(h: ReturnType<typeof harness>, approve = true) {
  await handleAlerts(h.deps, [firingAlert()]);
  await h.settle();
  const p = h.store.proposals.liveFor('fraud-scorer')!;
  if (approve) {
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
  }
  return h.store.proposals.get(p.id)!;
}

describe('pre-flight', () => {
  it('shows a failed pre-flight in the proposal and blocks approval', async () => {
    const h = harness();
    h.registry.markBad('fraud-scorer', 'v41', 'sre');
    // The registry would not pick v41 now, so make the adapter claim it anyway to reach pre-flight.
    const claiming: RollbackAdapter = Object.assign(Object.create(h.adapter) as RollbackAdapter, { versions: async () => ({ current: 'v42', lastGood: 'v41', deployedAt: null }) });
    h.deps.adapter = () => claiming;
    const p = await proposeAndApprove(h);
    expect(p.preflight).toMatchObject({ ok: false });
    expect(p.state).toBe('pending');
    expect(p.approvals).toEqual([]);
    expect(h.adapter.executions).toHaveLength(0);
    const blocks = JSON.stringify(proposalPost(h.chat.posts)!.blocks);
    expect(blocks).toContain('Pre-flight FAILED: approval is blocked');
    expect(blocks).toContain('v41 is marked bad');
    expect(blocks).not.toContain('backstop_approve');
  });

  it('passes for a ready, registered, unmarked version and is shown', async () => {
    const h = harness();
    const p = await proposeAndApprove(h, false);
    expect(p.preflight?.ok).toBe(true);
    expect(JSON.stringify(proposalPost(h.chat.posts)!.blocks)).toContain('Pre-flight passed');
  });
});

/** A target that can split traffic; records each shift. */
class TrafficTarget implements RollbackAdapter {
  readonly kind = 'fake-traffic';
  shifts: number[] = [];
  describe() { return 'fake traffic-splitting target'; }
  async versions() { return { current: 'v42', lastGood: 'v41', deployedAt: null }; }
  async plan(to: string) { return { target: 'fake', from: 'v42', to, steps: [] }; }
  async preflight() { return { ok: true, checks: [] }; }
  async readBack(to: string) { return { confirmed: this.shifts.at(-1) === 100, version: to, detail: '' }; }
  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> { return this.shiftTraffic({ ...req, percent: 100 }); }
  async shiftTraffic(req: ExecuteRequest & { percent: number }): Promise<ExecuteOutcome> {
    this.shifts.push(req.percent);
    return { ok: true, version: req.to, detail: `${req.percent}% on ${req.to}`, alreadyApplied: false };
  }
}

describe('staged rollback', () => {
  const staged = POLICY_YAML.replace('    runbook: https://runbooks.example/fraud-scorer', '    runbook: https://runbooks.example/fraud-scorer\n    stages: [50, 100]');
  const sli = (current: number): SliSource => ({ kind: 'static', measure: async () => ({ baseline: 0.91, current }) });

  it('stops at 50 % and says so when the step does not help', async () => {
    const h = harness(staged);
    const target = new TrafficTarget();
    h.deps.adapter = () => target;
    h.deps.sliSource = () => sli(0.8);
    const p = await proposeAndApprove(h);
    expect(target.shifts).toEqual([50]);
    expect(p.state).toBe('not_recovered');
    expect(p.executionDetail).toBe('stopped at 50%');
    const root = proposalPost(h.chat.posts)!;
    expect(h.chat.thread(root.ts).map((m) => m.text).join('\n')).toContain('Stopped at 50% of traffic on v41: the SLIs did not improve');
  });

  it('goes on to 100 % when the first step helps, then verifies', async () => {
    const h = harness(staged);
    const target = new TrafficTarget();
    h.deps.adapter = () => target;
    h.deps.sliSource = () => sli(0.9);
    const p = await proposeAndApprove(h);
    expect(target.shifts).toEqual([50, 100]);
    expect(p.state).toBe('verified');
  });

  it('refuses a policy whose stages do not end at 100', async () => {
    const { parsePolicy } = await import('../../src/config/policy.js');
    const r = parsePolicy(staged.replace('[50, 100]', '[50, 80]').replace('POSTMORTEM_DIR', '/tmp'));
    expect(!r.ok && r.problems.map((x) => x.path)).toContain('services.fraud-scorer.stages');
  });
});

describe('coordinated rollback', () => {
  /** A second target (feature flag) with its own versions; fails on demand. */
  class FlagTarget implements RollbackAdapter {
    readonly kind = 'fake-flag';
    value = 'new-ranking';
    constructor(private readonly fail: boolean) {}
    describe() { return 'feature flag ranking'; }
    async versions() { return { current: this.value, lastGood: 'old-ranking', deployedAt: null }; }
    async plan(to: string) { return { target: 'flag', from: this.value, to, steps: [`set flag to ${to}`] }; }
    async preflight(to: string) { return { ok: true, checks: [{ name: 'flag value known', ok: true, detail: to }] }; }
    async readBack(to: string) { return { confirmed: this.value === to, version: this.value, detail: '' }; }
    async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
      if (this.fail) return { ok: false, retryable: false, message: 'HTTP 403 flag service refused' };
      this.value = req.to;
      return { ok: true, version: req.to, detail: 'flag set', alreadyApplied: false };
    }
  }

  it('puts the first target back when the second fails, and says where each one is', async () => {
    const h = harness();
    const registry = new LocalRegistryAdapter(h.registry, { model: 'fraud-scorer', alias: 'production' });
    const flag = new FlagTarget(true);
    h.deps.adapter = () => new CoordinatedAdapter([registry, flag]);
    const p = await proposeAndApprove(h);
    expect(p.state).toBe('failed');
    const alias = h.registry.alias('fraud-scorer', 'production');
    expect(alias.ok && alias.value.version).toBe('v42');
    expect(flag.value).toBe('new-ranking');
    expect(p.executionDetail).toContain('feature flag ranking failed: HTTP 403 flag service refused');
    expect(p.executionDetail).toContain('put back to v42');
  });

  it('moves every target, in order, when all succeed', async () => {
    const h = harness();
    const flag = new FlagTarget(false);
    h.deps.adapter = () => new CoordinatedAdapter([new LocalRegistryAdapter(h.registry, { model: 'fraud-scorer', alias: 'production' }), flag]);
    const p = await proposeAndApprove(h);
    expect(p.state).toBe('verified');
    expect(flag.value).toBe('old-ranking');
    expect(p.executionDetail).toContain('feature flag ranking: new-ranking → old-ranking');
  });

  it('pre-flights every target before any moves', async () => {
    const h = harness();
    const flag = new FlagTarget(false);
    flag.preflight = async () => ({ ok: false, checks: [{ name: 'flag exists', ok: false, detail: 'no such flag' }] });
    h.deps.adapter = () => new CoordinatedAdapter([new LocalRegistryAdapter(h.registry, { model: 'fraud-scorer', alias: 'production' }), flag]);
    const p = await proposeAndApprove(h);
    expect(p.state).toBe('pending');
    expect(p.preflight?.checks.find((c) => !c.ok)?.name).toBe('feature flag ranking: flag exists');
    const alias = h.registry.alias('fraud-scorer', 'production');
    expect(alias.ok && alias.value.version).toBe('v42');
  });
});
