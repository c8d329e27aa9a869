/**
 * After a restart, an execution that was cut off mid-request is read back over the service's
 * read-back window, never re-run: a target that finishes a few seconds later is found and
 * verified; one that never does is marked failed with the approvers told, in the thread and audit.
 */
import { mkdtempSync } from 'node:fs';
import { proposalPost } from '../support/messages.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyTransition } from '../../src/app/apply-transition.js';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { recover } from '../../src/app/recover.js';
import type { ReadBack } from '../../src/ports/rollback-adapter.js';
import { TaskTracker } from '../../src/runtime/task-tracker.js';
import { buildHarness, DelegatingAdapter, firingAlert } from '../support/harness.js';

/** A target whose rollback lands `landsAfterMs` after the (lost) request, on the harness clock. */
class SlowTarget extends DelegatingAdapter {
  reads = 0;
  executes = 0;
  constructor(inner: ConstructorParameters<typeof DelegatingAdapter>[0], private readonly land: () => boolean, private readonly apply: () => void) {
    super(inner);
  }
  override async readBack(to: string): Promise<ReadBack> {
    this.reads++;
    if (this.land()) this.apply();
    return this.inner.readBack(to);
  }
  override async execute(): Promise<never> {
    this.executes++;
    throw new Error('a reconciled execution must never be re-run');
  }
}

let h: ReturnType<typeof buildHarness>;
beforeEach(() => {
  h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-rec-')) });
});

/** Leaves a proposal `executing` with one attempt made, as a process killed inside the adapter call would. */
async function interrupted() {
  await handleAlerts(h.deps, [firingAlert()]);
  await h.settle();
  const p = h.store.proposals.liveFor('fraud-scorer')!;
  const realAdapter = h.deps.adapter;
  // Approve without letting the execution run: the process "dies" right after the first attempt began.
  h.deps.tasks = { run: () => undefined, idle: async () => undefined, busy: 0 } as unknown as typeof h.deps.tasks;
  await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
  await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
  expect((await applyTransition(h.deps, p.id, { type: 'start_execution' }, 'backstop', {}, (r) => r.executions.start(p.id, h.clock.now().toISOString()))).ok).toBe(true);
  h.store.tx(() => h.store.executions.attempt(p.id, h.clock.now().toISOString()));
  h.deps.adapter = realAdapter;
  return p;
}

describe('crash reconcile reads the target back over a window', () => {
  it('finds a rollback that lands seconds after the restart, and verifies it', async () => {
    const p = await interrupted();
    const landAt = h.clock.now().getTime() + 12_000;
    const slow = new SlowTarget(h.adapter, () => h.clock.now().getTime() >= landAt, () => {
      const a = h.registry.alias('fraud-scorer', 'production');
      if (a.ok && a.value.version !== 'v41') h.registry.rollback('fraud-scorer', 'production', 'v41', { idempotencyKey: p.id, actor: 'U0ALICE', reason: 'landed late' });
    });
    const fresh = buildHarnessTasks();
    h.deps.adapter = () => slow;
    await recover(h.deps);
    await fresh();
    const done = h.store.proposals.get(p.id)!;
    expect(done.state).toBe('verified');
    expect(slow.executes).toBe(0);
    expect(slow.reads).toBeGreaterThan(1);
    const thread = h.chat.thread(proposalPost(h.chat.posts)!.ts).map((m) => m.text).join('\n');
    expect(thread).toContain('Backstop restarted during execution; the target reports v41');
  });

  it('marks it failed, tells the approvers and audits what it read when the target never gets there', async () => {
    const p = await interrupted();
    const never = new SlowTarget(h.adapter, () => false, () => undefined);
    const fresh = buildHarnessTasks();
    h.deps.adapter = () => never;
    await recover(h.deps);
    await fresh();
    const done = h.store.proposals.get(p.id)!;
    expect(done.state).toBe('failed');
    expect(never.executes).toBe(0);
    // The whole default window (2 minutes at 5 s) was used, not one look.
    expect(never.reads).toBeGreaterThanOrEqual(20);
    expect(done.executionDetail).toContain('does not report v41');
    const thread = h.chat.thread(proposalPost(h.chat.posts)!.ts).map((m) => m.text).join('\n');
    expect(thread).toContain('does not report v41');
    expect(thread).toContain('cc <@U0ALICE>');
    const failed = h.store.audit.forProposal(p.id).find((e) => e.action === 'execution.failed')!;
    expect(failed.details).toMatchObject({ readBack: { status: 'mismatch', version: 'v42' } });
  });
});

/** Gives the harness real background tasks again (the "restarted process") and returns a wait for them. */
function buildHarnessTasks(): () => Promise<void> {
  const tasks = new TaskTracker(h.deps.log);
  h.deps.tasks = tasks;
  return async () => {
    while (tasks.busy > 0) {
      await tasks.idle();
      h.drainer.kick();
      await h.drainer.flushed();
    }
  };
}
