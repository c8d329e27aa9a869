/**
 * Exactly once across a crash between Slack accepting a message and the outbox marking it sent.
 * A "dying" drainer posts, reaches the `posting` checkpoint and from then on every store call
 * hangs, as if the process were SIGKILLed there: nothing after the post reaches the store. A
 * fresh drainer on the same store and the same Slack is the restarted process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.js';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { ChatError, isOutboxMetadata } from '../../src/ports/chat.js';
import type { StorePort } from '../../src/ports/store.js';
import { OutboxDrainer } from '../../src/slack/outbox-drainer.js';
import { buildHarness, firingAlert } from '../support/harness.js';

let h: ReturnType<typeof buildHarness>;
beforeEach(() => {
  h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-once-')) });
  // The harness's own drainer stays out of it: each test says which drainer sends.
  h.drainer.stop();
});

const at = '2025-03-01T12:00:00.000Z';
const NO_PACING = { channelIntervalMs: 0, channelBurst: 1 };

/** A store whose every call, once `dead()`, never settles: the process is gone. */
function dyingStore(store: StorePort, dead: () => boolean): StorePort {
  const never = new Promise<never>(() => undefined);
  const guard = <T extends object>(target: T): T => new Proxy(target, {
    get(t, key, receiver) {
      const v: unknown = Reflect.get(t, key, receiver);
      if (typeof v === 'function') return (...args: unknown[]) => (dead() ? never : (v as (...a: unknown[]) => unknown).apply(t, args));
      if (typeof v === 'object' && v !== null) return guard(v);
      return v;
    },
  });
  return guard(store);
}

/** A drainer that dies right after its first chat.postMessage is accepted. */
function dyingDrainer(deps: Deps): { drainer: OutboxDrainer; died: () => boolean } {
  let dead = false;
  const drainer = new OutboxDrainer({
    ...deps,
    store: dyingStore(deps.store, () => dead),
    checkpoint: (name) => {
      if (name === 'posting') dead = true;
    },
  }, NO_PACING);
  return { drainer, died: () => dead };
}

/** Runs a dying drainer until it dies (or has nothing left), then abandons it. */
async function liveUntilDeath(deps: Deps): Promise<boolean> {
  const { drainer, died } = dyingDrainer(deps);
  drainer.kick();
  for (let i = 0; i < 200 && !died(); i++) {
    await new Promise((r) => setImmediate(r));
    if (!died() && h.store.outbox.pending() === 0) break;
  }
  drainer.stop();
  return died();
}

/** A restart: a fresh drainer over the same store and Slack, run until the outbox is empty. */
async function restart(): Promise<void> {
  const drainer = new OutboxDrainer(h.deps, NO_PACING);
  drainer.kick();
  await drainer.flushed();
  drainer.stop();
}

/** The audit rows a message reports (`audit #5, #6, #7`: several when steps of one second were folded). */
const auditSeqs = (blocks: unknown): string[] => {
  const token = /audit ((?:#\d+(?:, )?)+)/.exec(JSON.stringify(blocks ?? []))?.[1] ?? '';
  return [...token.matchAll(/#(\d+)/g)].map((m) => m[1]!);
};

describe('outbox: exactly once across a crash after Slack accepted the message', () => {
  it('a thread reply posted just before the crash is found in Slack, marked sent and not posted again', async () => {
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    await restart();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    const root = h.chat.posts.find((m) => m.ts === h.store.proposals.get(p.id)!.messageTs)!;
    const before = h.chat.thread(root.ts).length;
    h.store.outbox.enqueue('thread', { proposalId: p.id }, { text: 'step one' }, at);
    h.store.outbox.enqueue('thread', { proposalId: p.id }, { text: 'step two' }, at);

    expect(await liveUntilDeath(h.deps)).toBe(true);
    // Slack has the reply, the store does not know: at-least-once would post it again.
    expect(h.chat.thread(root.ts).slice(before).map((m) => m.text)).toEqual(['step one']);
    expect(h.store.outbox.pending()).toBe(2);

    const lookups = h.chat.lookups;
    await restart();
    expect(h.chat.lookups - lookups).toBe(1);
    expect(h.chat.thread(root.ts).slice(before).map((m) => m.text)).toEqual(['step one', 'step two']);
    expect(h.store.outbox.pending()).toBe(0);
  }, 10_000);

  it('a top-level post is found in the channel and not posted again; every message carries its outbox id', async () => {
    const first = h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'one' }, at);
    const second = h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'two' }, at);
    expect(await liveUntilDeath(h.deps)).toBe(true);
    await restart();
    expect(h.chat.posts.map((p) => p.text)).toEqual(['one', 'two']);
    expect(isOutboxMetadata(h.chat.posts[0]!.metadata, first)).toBe(true);
    expect(isOutboxMetadata(h.chat.posts[1]!.metadata, second)).toBe(true);
    expect(h.chat.posts[0]!.metadata).toEqual({ event_type: 'backstop_outbox', event_payload: { outbox_id: first } });
  });

  it('an item in flight that never reached Slack is posted after the restart, once', async () => {
    h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'lost' }, at);
    // Marked in flight, then the process died before Slack answered.
    const [item] = h.store.outbox.heads();
    h.store.outbox.markSending(item!.id, at);
    await restart();
    expect(h.chat.lookups).toBe(1);
    expect(h.chat.posts.map((p) => p.text)).toEqual(['lost']);
    expect(h.store.outbox.pending()).toBe(0);
  });

  it('waits when Slack cannot be asked (down), and posts when Slack refuses to show the channel (no history scope)', async () => {
    h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'unsure' }, at);
    h.store.outbox.markSending(h.store.outbox.heads()[0]!.id, at);
    const find = h.chat.findPosted.bind(h.chat);
    h.chat.findPosted = async () => {
      throw new ChatError('unavailable', 'conversations.history: internal_error', { slackError: 'internal_error' });
    };
    await restart();
    // Not knowing whether Slack has it, it neither posts nor gives up: it asks again later.
    expect(h.chat.posts).toEqual([]);
    expect(h.store.outbox.pending()).toBe(1);
    h.chat.findPosted = async () => {
      throw new ChatError('refused', 'conversations.history: missing_scope', { slackError: 'missing_scope' });
    };
    h.clock.advance(60_000);
    await restart();
    // Asking would be refused forever: the thread must not stall, so it is sent (at least once).
    expect(h.chat.posts.map((p) => p.text)).toEqual(['unsure']);
    expect(h.store.outbox.pending()).toBe(0);
    h.chat.findPosted = find;
  });

  it('an item never handed to Slack is posted without a lookup', async () => {
    h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'plain' }, at);
    await restart();
    expect(h.chat.lookups).toBe(0);
    expect(h.chat.posts.map((p) => p.text)).toEqual(['plain']);
  });

  it('keeps the first in-flight time across attempts', () => {
    h.store.outbox.enqueue('post', { channelId: 'C1' }, { text: 'x' }, at);
    const [item] = h.store.outbox.heads();
    expect(item!.sendingSince).toBeUndefined();
    h.store.outbox.markSending(item!.id, at);
    h.store.outbox.markSending(item!.id, '2025-03-01T12:05:00.000Z');
    expect(h.store.outbox.heads()[0]!.sendingSince).toBe(at);
  });

  it('a proposal whose own message was posted just before the crash gets that message (its ts recorded, re-rendered), never a second one', async () => {
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    const proposalPosts = () => h.chat.posts.filter((m) => !m.threadTs && m.text.startsWith('Rollback proposal'));
    // Lives end at each post (the incident's opening may come first) until one ends on the proposal's message.
    for (let i = 0; i < 10 && proposalPosts().length === 0; i++) expect(await liveUntilDeath(h.deps)).toBe(true);
    expect(proposalPosts()).toHaveLength(1);
    // In Slack, yet the proposal does not know its ts: its replies would have no thread to go to.
    expect(h.store.proposals.get(p.id)!.messageTs).toBeNull();
    await restart();
    expect(proposalPosts()).toHaveLength(1);
    const { ts } = proposalPosts()[0]!;
    expect(h.store.proposals.get(p.id)!.messageTs).toBe(ts);
    // Re-rendered in place (the state may have moved on since that post), and its steps threaded under it.
    expect(h.chat.updates.filter((u) => u.ts === ts).length).toBeGreaterThan(0);
    expect(h.chat.thread(ts).length).toBeGreaterThan(0);
    expect(h.store.outbox.pending()).toBe(0);
  });

  it('killed after every single post of a whole rollback, each message is in Slack once and in the order of the audit trail', async () => {
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    let crashes = 0;
    // Each life posts one message and dies before marking it sent.
    for (let i = 0; i < 10 && !h.store.proposals.get(p.id)!.messageTs; i++) if (await liveUntilDeath(h.deps)) crashes++;
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    expect(h.store.proposals.get(p.id)!.state).toBe('verified');
    for (let i = 0; i < 100 && h.store.outbox.pending() > 0; i++) if (await liveUntilDeath(h.deps)) crashes++;
    await restart();
    expect(h.store.outbox.pending()).toBe(0);
    expect(crashes).toBeGreaterThan(5);

    const proposalMessages = h.chat.posts.filter((m) => !m.threadTs && m.text.startsWith('Rollback proposal'));
    expect(proposalMessages).toHaveLength(1);
    const root = proposalMessages[0]!;
    expect(h.store.proposals.get(p.id)!.messageTs).toBe(root.ts);
    const steps = h.store.audit.forProposal(p.id).filter((e) => e.details.fact).map((e) => String(e.seq));
    expect(steps.length).toBeGreaterThan(3);
    expect(h.chat.thread(root.ts).flatMap((m) => auditSeqs(m.blocks))).toEqual(steps);
    // Top-level steps (the incident opening) too: once each.
    const topLevel = h.chat.posts.filter((m) => !m.threadTs && m !== root).flatMap((m) => auditSeqs(m.blocks));
    expect(new Set(topLevel).size).toBe(topLevel.length);
    // Every post carried its outbox id, and no two posts the same one.
    const ids = h.chat.posts.map((m) => m.metadata?.event_payload.outbox_id);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  }, 20_000);
  it('folds the steps of one second into one message, and a crash after posting the fold never posts any of them again', async () => {
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    await restart();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    const root = h.chat.posts.find((m) => m.ts === h.store.proposals.get(p.id)!.messageTs)!;
    const before = h.chat.thread(root.ts).length;
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    h.clock.advance(5_000);
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();

    // Alice's approval came 5 s earlier: a message of its own. Bob's, the quorum and the start of
    // the execution came in the same second: one message, and the process dies right after it.
    expect(await liveUntilDeath(h.deps)).toBe(true);
    expect(await liveUntilDeath(h.deps)).toBe(true);
    const [alone, fold] = h.chat.thread(root.ts).slice(before);
    expect(alone!.text).toBe('✅ Approved by <@U0ALICE> (1/2); waiting for 1 more.');
    expect(fold!.text.split('\n').slice(0, 3)).toEqual([
      '✅ Approved by <@U0BOB> (2/2).',
      '👥 Quorum reached: rolling back fraud-scorer to v41.',
      '⏳ Executing rollback of fraud-scorer: v42 → v41.',
    ]);
    const folded = auditSeqs(fold!.blocks);
    expect(folded.length).toBeGreaterThanOrEqual(3);
    expect(fold!.metadata?.event_payload.through_outbox_id).toBeGreaterThan(Number(fold!.metadata?.event_payload.outbox_id));

    await restart();
    const replies = h.chat.thread(root.ts).slice(before);
    // Found in Slack by its first outbox id, the whole fold is marked sent: none of its steps is posted again.
    expect(replies.filter((m) => m.text.includes('Quorum reached'))).toHaveLength(1);
    expect(replies.filter((m) => m.text.includes('Executing rollback'))).toHaveLength(1);
    const steps = h.store.audit.forProposal(p.id).filter((e) => e.details.fact).map((e) => String(e.seq));
    expect(h.chat.thread(root.ts).flatMap((m) => auditSeqs(m.blocks))).toEqual(steps);
    expect(h.store.outbox.pending()).toBe(0);
  });
});
