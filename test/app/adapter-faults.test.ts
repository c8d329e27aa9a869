import { mkdtempSync } from 'node:fs';
import { proposalPost } from '../support/messages.js';
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
  await handleAlerts(h.deps, [firingAlert()]);
  await h.settle();
  const p = h.store.proposals.liveFor('fraud-scorer')!;
  await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
  await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
  await h.settle();
  return h.store.proposals.get(p.id)!;
}

const threadOf = () => {
  const root = proposalPost(h.chat.posts)!;
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
    expect(h.clock.now().getTime() - started).toBeGreaterThanOrEqual(16_000);    // Each failed attempt is visible in the thread and in the audit trail, not only in the log.
    const thread = threadOf();
    expect(thread).toContain('Rollback attempt 1 of 3 failed: timeout after 10000 ms; retrying in 2 s.');
    expect(thread).toContain('Rollback attempt 2 of 3 failed: timeout after 10000 ms; retrying in 4 s.');
    expect(h.store.audit.forProposal(p.id).filter((e) => e.action === 'execution.attempt_failed').map((e) => e.details.attempt)).toEqual([1, 2]);
  });

  it('gives up after the bound, marks the proposal failed, tells the approvers, and never claims a rollback', async () => {
    const flaky = new FlakyAdapter(h.adapter, 99, { ok: false, retryable: true, message: 'HTTP 503 Service Unavailable' });
    const p = await approveWith(flaky);
    expect(flaky.calls).toHaveLength(3);
    expect(p.state).toBe('failed');
    expect(p.executionDetail).toContain('HTTP 503');
    const thread = threadOf();
    expect(thread).toContain('failed: nothing is reported as rolled back; follow the runbook. cc <@U0ALICE>');
    expect(thread).toContain('HTTP 503 Service Unavailable (after 3 attempts)');
    expect(thread).toContain('Rollback attempt 3 of 3 failed: HTTP 503 Service Unavailable; no attempts left.');
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

  it('reports not recovered, never Verified, when the target says done but keeps serving the old version', async () => {
    const liar: RollbackAdapter = {
      kind: 'fake', describe: () => 'a target that does nothing', versions: () => h.adapter.versions(), plan: (to) => h.adapter.plan(to), preflight: (to) => h.adapter.preflight(to), readBack: (to) => h.adapter.readBack(to),
      execute: async (req) => ({ ok: true, version: req.to, detail: 'accepted', alreadyApplied: false }),
    };
    const p = await approveWith(liar);
    expect(p.state).toBe('not_recovered');
    expect(p.readBack).toMatchObject({ status: 'mismatch', version: 'v42' });
    const thread = threadOf();
    expect(thread).toContain('Not recovered: the target still reports v42, not v41');
    expect(thread).not.toContain('Verified');
  });

  it('refuses to act on a target that moved after the proposal: superseded, nothing rolled back, approvers told', async () => {
    h.deps.adapter = () => h.adapter;
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    expect(p.fromVersion).toBe('v42');
    // CI deploys v43 while people read the proposal.
    h.registry.register('fraud-scorer', 'v43');
    h.registry.promote('fraud-scorer', 'v43', { actor: 'ci', reason: 'release' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    const done = h.store.proposals.get(p.id)!;
    expect(done.state).toBe('superseded');
    expect(h.adapter.executions[0]).toMatchObject({ expectedFrom: 'v42', to: 'v41' });
    const alias = h.registry.alias('fraud-scorer', 'production');
    expect(alias.ok && alias.value.version).toBe('v43');
    const thread = threadOf();
    expect(thread).toContain('now serves v43, which nobody approved removing');
    expect(thread).toContain('cc <@U0ALICE>');
    expect(thread).not.toContain('Verified');
  });
});
