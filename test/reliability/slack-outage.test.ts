/**
 * Slack goes down (5xx, then 429 with Retry-After) in the middle of a rollback. The rollback and
 * its audit rows must not wait for Slack; once Slack is back every message arrives, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { CHANNEL, startFixture, USERS, type Fixture } from '../support/bot-fixture.js';
import { alertmanagerFiring } from './endpoints.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx?.stop());

describe('a Slack outage during a rollback', () => {
  it('delays messages but neither blocks nor loses the rollback or any audit row', async () => {
    await fx.postAlerts(alertmanagerFiring());
    const msg = await fx.emu.waitFor(() => fx.emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 5000, 'proposal');
    await fx.emu.waitFor(() => fx.emu.thread(CHANNEL.id, msg.ts).length > 1 || undefined, 5000, 'first reply');
    fx.emu.failNext('chat.postMessage', { status: 500 }, 3);
    fx.emu.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1);
    fx.emu.failNext('chat.update', { status: 500 }, 2);
    await fx.slack.click(USERS.alice, CHANNEL, msg, ACTION_APPROVE);
    await fx.slack.click(USERS.bob, CHANNEL, msg, ACTION_APPROVE);
    // The rollback completes while Slack is still failing.
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.recent('fraud-scorer', 1)[0]?.state === 'verified' || undefined, 10_000, 'verified in the store');
    const p = fx.bot.sqlite.proposals.recent('fraud-scorer', 1)[0]!;
    expect(fx.bot.sqlite.audit.forProposal(p.id).map((e) => e.action)).toEqual(expect.arrayContaining(['proposal.approved', 'execution.succeeded', 'verification.recovered']));
    // Slack recovers: everything arrives, in the order it happened.
    await fx.emu.waitFor(() => fx.emu.thread(CHANNEL.id, msg.ts).find((m) => m.text.includes('Verified')), 20_000, 'verified in Slack');
    await fx.bot.settled(20_000);
    const thread = fx.emu.thread(CHANNEL.id, msg.ts).map((m) => m.text);
    const order = ['Proposed rollback', `Approved by <@${USERS.alice.id}>`, `Approved by <@${USERS.bob.id}>`, 'Quorum reached', 'Executing rollback', 'Rolled back', 'Verified'];
    const at = order.map((s) => thread.findIndex((t) => t.includes(s)));
    expect(at.filter((i) => i < 0)).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(thread.filter((t) => t.includes('Quorum reached'))).toHaveLength(1);
    const failures = fx.emu.calls.filter((c) => !c.ok && (c.method === 'chat.postMessage' || c.method === 'chat.update'));
    expect(failures.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(fx.emu.messages(CHANNEL.id).find((m) => m.ts === msg.ts)!.blocks)).toContain('rolled back and verified');
  }, 40_000);
});
