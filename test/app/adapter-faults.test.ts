import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordDecision } from '../../src/app/record-decision.js';
import type { ExecuteOutcome, ExecuteRequest, RollbackAdapter } from '../../src/ports/rollback-adapter.js';
import { buildHarness, DelegatingAdapter, firingAlert } from '../support/harness.js';

/** Wraps the real adapter and fails its first `failures` calls the way a sick target does. */
class FlakyAdapter extends DelegatingAdapter {
  calls: ExecuteRequest[] = [];
  constructor(inner: RollbackAdapter, private failures: number, private readonly failure: ExecuteOutcome) {
    super(inner);
  }
  override async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    this.calls.push(req);
    if (this.failures-- > 0) return this.failure;
    return this.inner.execute(req);
  }
}

let h: ReturnType<typeof buildHarness>;
beforeEach(() => {
  h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-af-')) });
});

async function approveWith(adapter: RollbackAdapter) {
  h.deps.adapter = () => adapter;
  handleAlerts(h.deps, [firingAlert()]);
  await h.settle();
  const p = h.store.proposals.liveFor('fraud-scorer')!;
  await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
  await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
  await h.settle();
  return h.store.proposals.get(p.id)!;
}

const threadOf = () => {
  const root = h.chat.posts.find((m) => !m.threadTs)!;
  return h.chat.thread(root.ts).map((m) => m.text).join('\n');
};

describe('adapter faults', () => {
  it('retries a timing-out target with backoff and the same idempotency key, then succeeds', async () => {
    const flaky = new FlakyAdapter(h.adapter, 2, { ok: false, retryable: true, message: 'timeout after 10000 ms' });
    const started = h.clock.now().getTime();
    const p = await approveWith(flaky);
    expect(p.state).toBe('verified');
    expect(flaky.calls).toHaveLength(3);
    expect(new Set(flaky.calls.map((c) => c.idempotencyKey))).toEqual(new Set([p.id]));
    // 2 s then 4 s of backoff (the default), plus the 10 s settle.
    expect(h.clock.now().getTime() - started).toBeGreaterThanOrEqual(16_000);
  });

  it('gives up after the bound, marks the proposal failed, tells the approvers, and never claims a rollback', async () => {
    const flaky = new FlakyAdapter(h.adapter, 99, { ok: false, retryable: true, message: 'HTTP 503 Service Unavailable' });
    const p = await approveWith(flaky);
    expect(flaky.calls).toHaveLength(3);
    expect(p.state).toBe('failed');
    expect(p.executionDetail).toContain('HTTP 503');
    const thread = threadOf();
    expect(thread).toContain('failed: HTTP 503 Service Unavailable (after 3 attempts) cc <@U0ALICE>');
    expect(thread).not.toContain('Verified');
    expect(thread).not.toContain('Rolled back');
    const alias = h.registry.alias('fraud-scorer', 'production');
    expect(alias.ok && alias.value.version).toBe('v42');
  });

  it('does not retry a fatal error', async () => {
    const flaky = new FlakyAdapter(h.adapter, 99, { ok: false, retryable: false, message: 'HTTP 403 Forbidden' });
    const p = await approveWith(flaky);
    expect(flaky.calls).toHaveLength(1);
    expect(p.state).toBe('failed');
  });

  it('reports not recovered when the target says done but the SLIs still breach', async () => {
    const liar: RollbackAdapter = {
      kind: 'fake', describe: () => 'a target that does nothing', versions: () => h.adapter.versions(), plan: (to) => h.adapter.plan(to), preflight: (to) => h.adapter.preflight(to), readBack: (to) => h.adapter.readBack(to),
      execute: async (req) => ({ ok: true, version: req.to, detail: 'accepted', alreadyApplied: false }),
    };
    // The static source reads the serving version from the proposal, so make the SLIs breach regardless.
    h.deps.sliSource = () => ({ kind: 'static', measure: async () => ({ baseline: 0.91, current: 0.8 }) });
    const p = await approveWith(liar);
    expect(p.state).toBe('not_recovered');
    expect(threadOf()).toContain('Not recovered');
  });
});
