/**
 * Two minutes of a real Alertmanager delivering to the bot over kept-alive connections that
 * sit idle about 6 s between flushes: Alertmanager's own metrics must show every delivery went
 * through at the first attempt. With Node's default keepAliveTimeout (5 s, which Node 20
 * enforces as 6 s) 1 attempt in 7 to 20 met "connection reset by peer" or "broken pipe".
 */
import { existsSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AM_TOKEN, startFixture } from '../support/bot-fixture.js';
import { ALERTMANAGER_BIN, RealAlertmanager } from '../support/alertmanager.js';

const run = existsSync(ALERTMANAGER_BIN) || process.env.CI ? describe : describe.skip;

const DELIVERY_MS = 120_000;
/**
 * Alertmanager restarts a group's timer before it flushes, so a connection idles for the
 * interval less its own delivery: 10 ms past 6 s puts reuse right where Node's default closed
 * idle connections, while the bot is still busy with the other groups' deliveries.
 */
const GROUP_INTERVAL_MS = 6_010;
/** Ten groups flushing side by side on parallel connections; one for a policy service. */
const SERVICES = ['fraud-scorer', ...Array.from({ length: 9 }, (_, i) => `unlisted-${i}`)];
const ALERTS_PER_GROUP = 50;

run('a real Alertmanager over kept-alive connections', () => {
  it('loses no delivery attempt in two minutes of flushes with idle gaps of 6 s', async () => {
    const fx = await startFixture();
    onTestFinished(async () => {
      await fx.bot.settled();
      await fx.stop();
    });
    const am = new RealAlertmanager();
    onTestFinished(() => am.stop());
    // repeat_interval below group_interval: every flush of every group re-sends it.
    await am.start(`${fx.bot.url}/alerts/alertmanager`, AM_TOKEN, { groupWait: '1s', groupInterval: `${GROUP_INTERVAL_MS}ms`, repeatInterval: '1s' });
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    // One call, so the groups start, and flush, together.
    await am.post(SERVICES.flatMap((service) => Array.from({ length: ALERTS_PER_GROUP }, (_, i) => ({
      labels: { alertname: 'ModelAccuracyDrop', service, severity: 'critical', instance: `pod-${i}` }, annotations: { summary: `${service} accuracy low` }, startsAt,
    }))));

    await new Promise((r) => setTimeout(r, DELIVERY_MS));

    const webhook = { integration: 'webhook' };
    const delivered = await am.metric('alertmanager_notifications_total', webhook);
    const failed = await am.metric('alertmanager_notifications_failed_total', webhook);
    // Alertmanager retries a reset within the flush, so failed notifications alone stay 0: count attempts.
    const attemptsFailed = await am.metric('alertmanager_notification_requests_failed_total', webhook);
    const flushes = Math.floor((DELIVERY_MS - 1_000) / GROUP_INTERVAL_MS);
    expect(delivered).toBeGreaterThanOrEqual(SERVICES.length * (flushes - 2));
    expect(failed).toBe(0);
    expect(attemptsFailed).toBe(0);
    expect(fx.bot.sqlite.proposals.recent('fraud-scorer', 10)).toHaveLength(1);
  }, DELIVERY_MS + 30_000);
});
