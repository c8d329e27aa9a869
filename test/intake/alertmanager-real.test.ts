/**
 * A real Alertmanager (Debian `prometheus-alertmanager`) delivers to the bot over HTTP with
 * its bearer token: grouping and repeat notifications must not duplicate the proposal, and
 * the resolution must produce the postmortem.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { AM_TOKEN, CHANNEL, startFixture, USERS, type Fixture } from '../support/bot-fixture.js';
import { ALERTMANAGER_BIN, RealAlertmanager } from '../support/alertmanager.js';

const run = existsSync(ALERTMANAGER_BIN) || process.env.CI ? describe : describe.skip;
let fx: Fixture;
const am = new RealAlertmanager();

beforeAll(async () => {
  fx = await startFixture();
  await am.start(`${fx.bot.url}/alerts/alertmanager`, AM_TOKEN);
});
afterAll(async () => {
  await am.stop();
  await fx?.stop();
});

run('a real Alertmanager', () => {
  it('firing then resolved alerts make exactly one proposal, then the postmortem', async () => {
    const start = new Date(Date.now() - 60_000).toISOString();
    const labels = { service: 'fraud-scorer', severity: 'critical', model: 'fraud-scorer' };
    await am.add('ModelAccuracyDrop', { ...labels, instance: 'pod-a' }, { summary: 'fraud-scorer accuracy below 0.85', start });
    await am.add('ModelAccuracyDrop', { ...labels, instance: 'pod-b' }, { summary: 'fraud-scorer accuracy below 0.85', start });
    const msg = await fx.emu.waitFor(() => fx.emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 15_000, 'proposal from Alertmanager');
    // Let group_interval and repeat_interval re-deliver the same group a few times.
    await fx.emu.waitFor(() => (fx.bot.sqlite.db.prepare("SELECT count(*) FROM alerts WHERE status = 'firing'").pluck().get() as number) === 2 || undefined, 10_000, 'both alerts');
    await new Promise((r) => setTimeout(r, 5_000));
    expect(fx.emu.messages(CHANNEL.id, { topLevel: true }).filter((m) => m.text.startsWith('Rollback proposal'))).toHaveLength(1);
    expect(fx.bot.sqlite.incidents.listOpen()).toHaveLength(1);

    await fx.slack.click(USERS.alice, CHANNEL, msg, ACTION_APPROVE);
    await fx.slack.click(USERS.bob, CHANNEL, msg, ACTION_APPROVE);
    await fx.emu.waitFor(() => fx.emu.thread(CHANNEL.id, msg.ts).find((m) => m.text.includes('Verified')), 10_000, 'verified');

    const end = new Date(Date.now() - 1_000).toISOString();
    await am.add('ModelAccuracyDrop', { ...labels, instance: 'pod-a' }, { start, end });
    await am.add('ModelAccuracyDrop', { ...labels, instance: 'pod-b' }, { start, end });
    await fx.emu.waitFor(() => fx.emu.thread(CHANNEL.id, msg.ts).find((m) => m.text.includes('Postmortem draft')), 20_000, 'postmortem');
    expect(fx.bot.sqlite.incidents.listOpen()).toHaveLength(0);
    expect(fx.bot.sqlite.proposals.recent('fraud-scorer', 10)).toHaveLength(1);
  }, 60_000);
});
