import { describe, expect, it } from 'vitest';
import type { OutboxPayload } from '../../../src/ports/store.js';
import type { Engine } from './engine.js';
import { at, seed, stores, T0 } from './fixtures.js';

const text = (t: string): OutboxPayload => ({ text: t });

/** The outbox, executions, deploys, the replay guard and measurements. */
export function describeQueues(engine: Engine): void {
  const db = stores(engine);

  describe('outbox', () => {
    it('sends each stream in order, most urgent stream first, a proposal thread to its channel', async () => {
      const { store } = await db.fresh();
      await seed(store);
      const chatter = await store.outbox.enqueue('post', { channelId: 'C2' }, text('chatter'), T0, 1);
      const first = await store.outbox.enqueue('thread', { proposalId: 'rb-1', incidentId: 'inc-1' }, text('first'), T0);
      const second = await store.outbox.enqueue('thread', { proposalId: 'rb-1' }, text('second'), at(1));
      const note = await store.outbox.enqueue('pagerduty_note', { incidentId: 'inc-1' }, text('note'), at(2));
      expect([chatter, first, second, note]).toEqual([...[chatter, first, second, note]].sort((a, b) => a - b));
      expect(new Set([chatter, first, second, note]).size).toBe(4);

      const heads = await store.outbox.heads();
      expect(heads.map((h) => h.payload.text)).toEqual(['first', 'note', 'chatter']);
      expect(heads[0]).toEqual({ id: first, kind: 'thread', channelId: 'C1', proposalId: 'rb-1', incidentId: 'inc-1', payload: text('first'), attempts: 0, priority: 0, nextAttemptAt: T0 });
      expect(heads[1]).toMatchObject({ kind: 'pagerduty_note', channelId: null, proposalId: null, incidentId: 'inc-1' });
      expect(await store.outbox.pending()).toBe(4);

      await store.outbox.markSent(first, at(5));
      expect((await store.outbox.heads()).map((h) => h.payload.text)).toEqual(['second', 'note', 'chatter']);
      expect(await store.outbox.pending()).toBe(3);
    });

    it('keeps a failed head at the front of its stream with its attempts and next try', async () => {
      const { store } = await db.fresh();
      await seed(store);
      const a = await store.outbox.enqueue('thread', { proposalId: 'rb-1' }, text('a'), T0);
      await store.outbox.enqueue('thread', { proposalId: 'rb-1' }, text('b'), T0);
      await store.outbox.markFailed(a, 'ratelimited', at(30));
      await store.outbox.markFailed(a, 'ratelimited again', at(90));
      expect(await store.outbox.heads()).toEqual([expect.objectContaining({ id: a, attempts: 2, nextAttemptAt: at(90) })]);
    });

    it('marks an item in flight before it is sent, keeping the first time, until it is sent', async () => {
      const { store } = await db.fresh();
      await seed(store);
      const a = await store.outbox.enqueue('thread', { proposalId: 'rb-1' }, text('a'), T0);
      expect((await store.outbox.heads())[0]?.sendingSince).toBeUndefined();
      await store.outbox.markSending(a, at(1));
      await store.outbox.markFailed(a, 'internal_error', at(30));
      await store.outbox.markSending(a, at(31));
      expect(await store.outbox.heads()).toEqual([expect.objectContaining({ id: a, sendingSince: at(1), attempts: 1 })]);
      await store.outbox.markSent(a, at(32));
      expect(await store.outbox.heads()).toEqual([]);
    });

    it('coalesces re-renders of a proposal: one edit carries every update queued before it', async () => {
      const { store } = await db.fresh();
      await seed(store);
      const u1 = await store.outbox.enqueue('update_proposal', { proposalId: 'rb-1' }, text('u1'), T0);
      const step = await store.outbox.enqueue('thread', { proposalId: 'rb-1' }, text('step'), T0);
      const u2 = await store.outbox.enqueue('update_proposal', { proposalId: 'rb-1' }, text('u2'), at(1));
      const u3 = await store.outbox.enqueue('update_proposal', { proposalId: 'rb-1' }, text('u3'), at(2));
      expect(await store.outbox.laterProposalUpdate('rb-1', u1)).toBe(u3);
      expect(await store.outbox.laterProposalUpdate('rb-1', u3)).toBeUndefined();
      await store.outbox.markProposalUpdatesSent('rb-1', u3, at(3));
      // The thread message between them is not an update: it stays queued.
      expect((await store.outbox.heads()).map((h) => h.id)).toEqual([step]);
      expect(await store.outbox.laterProposalUpdate('rb-1', u1)).toBeUndefined();
      expect(await store.outbox.pending()).toBe(1);
      expect(u2).toBeLessThan(u3);
    });

    it('round-trips a queued step with its fact and audit reference', async () => {
      const { store } = await db.fresh();
      await seed(store);
      const payload: OutboxPayload = {
        text: 'Approved by <@U1> ✅ — «quoted» \\ "json"',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*bold*' } }],
        step: { fact: { action: 'proposal.approved_by', user: 'U1', nested: { n: 1.5, list: [1, null, 'x'] } }, seq: 12, hash: 'ab'.repeat(32), actor: 'U1', at: T0, drill: false },
      };
      await store.outbox.enqueue('post', { channelId: 'C7', incidentId: 'inc-1' }, payload, T0, 1);
      expect((await store.outbox.heads())[0]).toMatchObject({ kind: 'post', channelId: 'C7', incidentId: 'inc-1', priority: 1, payload });
    });
  });

  describe('executions', () => {
    it('records an execution once, its attempts, the last error and the outcome', async () => {
      const { store } = await db.fresh();
      await seed(store);
      expect(await store.executions.get('rb-1')).toBeUndefined();
      await store.executions.start('rb-1', T0);
      await store.executions.start('rb-1', at(99));
      await store.executions.attempt('rb-1', at(1));
      await store.executions.failedAttempt('rb-1', 'timeout');
      await store.executions.attempt('rb-1', at(2));
      expect(await store.executions.get('rb-1')).toEqual({ proposalId: 'rb-1', attempts: 2, startedAt: T0, lastAttemptAt: at(2), lastError: 'timeout', finishedAt: null, outcome: null });
      await store.executions.finish('rb-1', at(3), 'succeeded', null);
      expect(await store.executions.get('rb-1')).toMatchObject({ finishedAt: at(3), outcome: 'succeeded', lastError: 'timeout' });
      await store.executions.finish('rb-1', at(4), 'failed', 'gone');
      expect(await store.executions.get('rb-1')).toMatchObject({ outcome: 'failed', lastError: 'gone' });
    });
  });

  describe('deploys', () => {
    it('answers the newest deploys of a service first, later reports first among equal times', async () => {
      const { store } = await db.fresh();
      await store.deploys.record({ service: 's', version: 'v1', at: at(0), by: 'ci' }, at(0));
      await store.deploys.record({ service: 's', version: 'v3', at: at(20), by: 'ci' }, at(20));
      await store.deploys.record({ service: 's', version: 'v2', at: at(10), by: 'alice' }, at(21));
      await store.deploys.record({ service: 's', version: 'v3b', at: at(20), by: 'ci' }, at(22));
      await store.deploys.record({ service: 'other', version: 'x', at: at(30), by: 'ci' }, at(30));
      expect(await store.deploys.recent('s')).toEqual([
        { service: 's', version: 'v3b', at: at(20), by: 'ci' }, { service: 's', version: 'v3', at: at(20), by: 'ci' },
        { service: 's', version: 'v2', at: at(10), by: 'alice' }, { service: 's', version: 'v1', at: at(0), by: 'ci' },
      ]);
      expect((await store.deploys.recent('s', 1)).map((d) => d.version)).toEqual(['v3b']);
    });
  });

  describe('seen requests', () => {
    it('accepts a signature once, and again only after it was forgotten', async () => {
      const { store } = await db.fresh();
      expect(await store.seen.remember('sig-a', T0)).toBe(true);
      expect(await store.seen.remember('sig-a', at(1))).toBe(false);
      expect(await store.seen.remember('sig-b', at(10))).toBe(true);
      expect(await store.seen.forgetBefore(at(5))).toBe(1);
      expect(await store.seen.remember('sig-a', at(20))).toBe(true);
      expect(await store.seen.remember('sig-b', at(20))).toBe(false);
    });
  });

  describe('measurements', () => {
    it('answers the newest measurements since an instant, oldest first, marking those still collecting', async () => {
      const { store } = await db.fresh();
      const add = (s: number, verdict: 'ok' | 'breach' | 'no_data' | 'error', extra: { collecting?: boolean; sli?: string } = {}) =>
        store.measurements.add({ service: 'svc', sli: extra.sli ?? 'accuracy', at: at(s), verdict, value: verdict === 'no_data' ? null : 0.5 + s / 1000, baseline: 0.9, reason: `r${s}`, collecting: extra.collecting });
      await add(0, 'ok');
      await add(10, 'no_data', { collecting: true });
      await add(20, 'breach');
      await add(25, 'ok', { sli: 'latency' });
      await add(30, 'error', { collecting: false });
      expect(await store.measurements.since('svc', 'accuracy', at(10))).toEqual([
        { at: at(10), verdict: 'no_data', reason: 'r10', collecting: true },
        { at: at(20), verdict: 'breach', reason: 'r20' },
        { at: at(30), verdict: 'error', reason: 'r30' },
      ]);
      expect((await store.measurements.since('svc', 'accuracy', T0, 2)).map((m) => m.reason)).toEqual(['r20', 'r30']);
      expect(await store.measurements.since('svc', 'latency', T0)).toEqual([{ at: at(25), verdict: 'ok', reason: 'r25' }]);
      expect(await store.measurements.since('nope', 'accuracy', T0)).toEqual([]);
    });
  });
}
