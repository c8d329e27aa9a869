import { ChatError } from '../../src/ports/chat.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { OutboxDrainer } from '../../src/slack/outbox-drainer.js';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { buildHarness, firingAlert } from '../support/harness.js';
import { proposalPost, updatesOf } from '../support/messages.js';

let h: ReturnType<typeof buildHarness>;
beforeEach(() => {
  h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-ob-')) });
});

const at = '2025-03-01T12:00:00.000Z';

describe('durable Slack outbox', () => {
  it('paces one channel to its rate after a short burst, without holding other channels', async () => {
    const drainer = new OutboxDrainer(h.deps, { channelIntervalMs: 1000, channelBurst: 2 });
    for (let i = 0; i < 5; i++) h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: `c1-${i}` }, at);
    h.store.outbox.enqueue('post', { channelId: 'C2' }, { text: 'c2-0' }, at);
    drainer.kick();
    await drainer.flushed();
    expect(h.chat.posts.map((p) => p.text)).toEqual(['c1-0', 'c1-1', 'c2-0']);
    h.clock.advance(1000);
    drainer.kick();
    await drainer.flushed();
    expect(h.chat.posts.map((p) => p.text)).toEqual(['c1-0', 'c1-1', 'c2-0', 'c1-2']);
    h.clock.advance(2000);
    drainer.kick();
    await drainer.flushed();
    expect(h.chat.posts.map((p) => p.text).slice(-2)).toEqual(['c1-3', 'c1-4']);
    drainer.stop();
  });

  it('waits Retry-After on a 429 and then sends the same message, once', async () => {
    const drainer = new OutboxDrainer(h.deps, { channelIntervalMs: 0, channelBurst: 1 });
    let calls = 0;
    const post = h.chat.post.bind(h.chat);
    h.chat.post = async (m) => {
      calls++;
      if (calls === 1) throw new ChatError('rate_limited', 'chat.postMessage: rate limited by Slack', { retryAfterMs: 30_000 });
      return post(m);
    };
    h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'hello' }, at);
    drainer.kick();
    await drainer.flushed();
    expect(h.chat.posts).toHaveLength(0);
    h.clock.advance(29_000);
    drainer.kick();
    await drainer.flushed();
    expect(h.chat.posts).toHaveLength(0);
    h.clock.advance(1_000);
    drainer.kick();
    await drainer.flushed();
    expect(h.chat.posts.map((p) => p.text)).toEqual(['hello']);
    expect(h.store.outbox.pending()).toBe(0);
    drainer.stop();
  });

  it('sends decisions ahead of chatter in other channels', async () => {
    const drainer = new OutboxDrainer(h.deps, { channelIntervalMs: 0, channelBurst: 1 });
    h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'chatter' }, at, 1);
    h.store.outbox.enqueue('post', { channelId: 'C2' }, { text: 'decision' }, at, 0);
    drainer.kick();
    await drainer.flushed();
    expect(h.chat.posts.map((p) => p.text)).toEqual(['decision', 'chatter']);
  });

  it('keeps thread order through a Slack outage, and merges queued updates into one edit', async () => {
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    h.chat.failPosts = 1000;
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0MALLORY', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    // Slack is down, yet the rollback went through and was audited.
    expect(h.store.proposals.get(p.id)!.state).toBe('verified');
    expect(h.store.audit.forProposal(p.id).map((e) => e.action)).toContain('verification.recovered');
    const updatesBefore = h.chat.updates.filter((u) => u.ts === proposalPost(h.chat.posts)?.ts).length;
    h.chat.failPosts = 0;
    for (let i = 0; i < 20 && h.store.outbox.pending() > 0; i++) {
      h.clock.advance(60_000);
      h.drainer.kick();
      await h.drainer.flushed();
    }
    expect(h.store.outbox.pending()).toBe(0);
    const root = proposalPost(h.chat.posts)!;
    const thread = h.chat.thread(root.ts).map((m) => m.text);
    const order = ['Proposed rollback', 'tried to approve', 'Approved by <@U0ALICE>', 'Approved by <@U0BOB>', 'Quorum reached', 'Executing', 'Rolled back', 'Verified'];
    const positions = order.map((o) => thread.findIndex((t) => t.includes(o)));
    expect(positions.every((x) => x >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Five state changes were queued as re-renders; one edit carried them all.
    expect(updatesOf(h.chat.updates, root.ts).length - updatesBefore).toBe(1);
    expect(JSON.stringify(updatesOf(h.chat.updates, root.ts).at(-1)!.blocks)).toContain('rolled back and verified');
  });
});
