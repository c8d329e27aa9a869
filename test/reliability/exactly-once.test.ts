import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { CHANNEL, startFixture, USERS, type Fixture } from '../support/bot-fixture.js';
import { alertmanagerFiring } from './endpoints.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx?.stop());

const rollbacks = () => fx.bot.sqlite.db.prepare("SELECT count(*) FROM registry_history WHERE kind = 'rollback'").pluck().get() as number;

describe('exactly once', () => {
  it('100 concurrent Approve clicks from several approvers, with Slack retries, execute one rollback', async () => {
    expect((await fx.postAlerts(alertmanagerFiring())).status).toBe(200);
    const msg = await fx.emu.waitFor(() => fx.emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 5000, 'proposal');
    const approvers = [USERS.alice, USERS.bob, USERS.carol, USERS.mallory];
    const clicks = Array.from({ length: 100 }, (_, i) => fx.slack.click(approvers[i % approvers.length]!, CHANNEL, msg, ACTION_APPROVE, i % 5 === 0 ? { retryNum: 1 + (i % 3) } : {}));
    const statuses = (await Promise.all(clicks)).map((r) => r.status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.recent('fraud-scorer', 1)[0]?.state === 'verified', 10_000, 'verified');
    await fx.bot.settled();
    const p = fx.bot.sqlite.proposals.recent('fraud-scorer', 1)[0]!;
    expect(rollbacks()).toBe(1);
    const audit = fx.bot.sqlite.audit.forProposal(p.id).map((e) => e.action);
    expect(audit.filter((a) => a === 'execution.started')).toHaveLength(1);
    expect(audit.filter((a) => a === 'execution.succeeded')).toHaveLength(1);
    expect(p.approvals).toHaveLength(2);
    expect(new Set(p.approvals.map((a) => a.user)).size).toBe(2);
    expect(p.approvals.map((a) => a.user)).not.toContain(USERS.mallory.id);
    expect(fx.bot.sqlite.audit.verify().ok).toBe(true);
  });

  it('/backstop rollback twice for the same service makes one proposal', async () => {
    const before = fx.bot.sqlite.proposals.recent('fraud-scorer', 100).length;
    // v42 was rolled back away from: a new release makes a last-good version exist again.
    const registry = new LocalRegistry(fx.bot.sqlite.db, systemClock);
    registry.register('fraud-scorer', 'v43');
    registry.promote('fraud-scorer', 'v43', { actor: 'ci', reason: 'release' });
    await Promise.all([
      fx.slack.command(USERS.alice, CHANNEL, 'rollback fraud-scorer accuracy again'),
      fx.slack.command(USERS.bob, CHANNEL, 'rollback fraud-scorer accuracy again'),
      fx.slack.command(USERS.alice, CHANNEL, 'rollback fraud-scorer accuracy again'),
    ]);
    await fx.bot.settled();
    expect(fx.bot.sqlite.proposals.recent('fraud-scorer', 100).length).toBe(before + 1);
    const replies = fx.emu.ephemerals().filter((e) => e.text.includes('already pending'));
    expect(replies).toHaveLength(2);
  });
});
