/**
 * The whole path in Socket Mode, the way most internal bots are installed: the real Bolt app
 * connects to the emulator's Socket Mode server (apps.connections.open through SLACK_API_URL with
 * the app-level token, then a WebSocket), and every click, command and view submission arrives
 * as an envelope the bot must acknowledge. Alerts still arrive over HTTP on PORT.
 *
 * Assertions stay on what survives rewording: proposal states, audit rows, registry history,
 * which messages exist and who was told.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackstop, type Backstop } from '../../src/bootstrap.js';
import { parseEnv } from '../../src/config/env.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { SlackEmulator, type SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_REJECT_REASON, BLOCK_REJECT_REASON, VIEW_REJECT } from '../../src/slack/ids.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { seedRegistry } from '../support/bot-fixture.js';
import { alertmanagerDelivery } from '../support/fixtures.js';
import { SocketSlackDriver } from '../support/socket-slack-driver.js';
import { until } from '../support/until.js';

const AM_TOKEN = 'alertmanager-token-0123456789';
const users = { alice: { id: 'U0ALICE', name: 'alice' }, bob: { id: 'U0BOB', name: 'bob' }, mallory: { id: 'U0MALLORY', name: 'mallory' } };
const channels = {
  'fraud-scorer': { id: 'C0FRAUD', name: 'fraud-scorer-incidents' },
  ranker: { id: 'C0RANKER', name: 'ranker-incidents' },
  pricing: { id: 'C0PRICING', name: 'pricing-incidents' },
  search: { id: 'C0SEARCH', name: 'search-incidents' },
};

let emu: SlackEmulator;
let bot: Backstop;
let slack: SocketSlackDriver;
let dir: string;

const service = (name: keyof typeof channels, [good, bad]: [string, string], critical: boolean) => `
  ${name}:
    match: { service: ${name} }
    channel: ${channels[name].id}
    critical: ${critical}
    approvers: { users: [${users.alice.id}, ${users.bob.id}] }
    adapter: { kind: local-registry, model: ${name}, alias: production }
    slis:
      - { name: quality, source: static, values: { ${good}: 0.91, ${bad}: 0.80 }, comparator: lt, threshold: 0.85 }`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backstop-socket-'));
  const dbFile = join(dir, 'backstop.db');
  emu = new SlackEmulator();
  await emu.start();
  for (const u of Object.values(users)) emu.addUser({ id: u.id, name: u.name, email: `${u.name}@example.com` });
  for (const c of Object.values(channels)) emu.addChannel({ ...c, members: Object.values(users).map((u) => u.id) });
  seedRegistry(dbFile, [['fraud-scorer', 'v41', 'v42'], ['ranker', 'r1', 'r2'], ['pricing', 'p1', 'p2'], ['search', 's1', 's2']]);
  const policy = parsePolicy(`
defaults: { settle: 0s, proposalTtl: 30m }
postmortemDir: ${join(dir, 'postmortems')}
services:${service('fraud-scorer', ['v41', 'v42'], true)}${service('ranker', ['r1', 'r2'], true)}${service('pricing', ['p1', 'p2'], true)}${service('search', ['s1', 's2'], false)}
`);
  if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
  // Socket Mode: an app-level token and no signing secret; Slack is reached only through SLACK_API_URL.
  const env = parseEnv({
    SLACK_BOT_TOKEN: emu.botToken, SLACK_APP_TOKEN: emu.appToken, SLACK_API_URL: emu.url,
    PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: dbFile, ALERTMANAGER_TOKEN: AM_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY,
  });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  bot = await startBackstop({ env: env.env, policy: policy.policy, pacing: { channelIntervalMs: 0, channelBurst: 1 }, logger: createLogger({ level: 'silent' }) });
  slack = new SocketSlackDriver(emu);
  await emu.waitFor(() => emu.socketConnections === 1, 5000, 'the bot connected over Socket Mode');
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

const db = () => bot.sqlite.db;
const state = (svc: string) => db().prepare('SELECT state FROM proposals WHERE service = ? ORDER BY created_at DESC LIMIT 1').pluck().get(svc) as string | undefined;
const rollbacks = (model: string) => db().prepare("SELECT count(*) FROM registry_history WHERE model = ? AND kind = 'rollback'").pluck().get(model) as number;
const actions = (svc: string) => db().prepare('SELECT a.action FROM audit a JOIN proposals p ON p.id = a.proposal_id WHERE p.service = ? ORDER BY a.seq').pluck().all(svc) as string[];
const approvals = (svc: string) => bot.sqlite.proposals.recent(svc, 1)[0]!.approvals.map((a) => a.user).sort();
const proposalMessage = (channel: string) => emu.messages(channel, { topLevel: true }).find((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_APPROVE));
const shows = (channel: string, ts: string, text: string) => JSON.stringify(emu.messages(channel).find((m) => m.ts === ts)?.blocks ?? '').includes(text);

function firing(svc: string, status: 'firing' | 'resolved' = 'firing') {
  const body = alertmanagerDelivery('firing-two-alerts.json');
  body.status = status;
  body.alerts = body.alerts.slice(0, 1).map((a: Record<string, unknown>) => ({ ...a, status, labels: { alertname: 'QualityDrop', service: svc, severity: 'critical' }, fingerprint: Buffer.from(svc).toString('hex'), endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z' }));
  body.groupLabels = { alertname: 'QualityDrop', service: svc };
  body.commonLabels = { alertname: 'QualityDrop', service: svc };
  body.groupKey = `{}:{service="${svc}"}`;
  return fetch(`${bot.url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` }, body: JSON.stringify(body) });
}

async function proposalFor(svc: keyof typeof channels): Promise<SlackMessage> {
  expect((await firing(svc)).status).toBe(200);
  return emu.waitFor(() => proposalMessage(channels[svc].id), 5000, `${svc} proposal`);
}

describe('Socket Mode', () => {
  it('connects through SLACK_API_URL with the app-level token, serves intake over HTTP and no Slack endpoint', async () => {
    const open = emu.calls.filter((c) => c.method === 'apps.connections.open');
    expect(open.map((c) => c.ok)).toEqual([true]);
    const ready = await fetch(`${bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.slack).toMatch(/^ok.*Socket Mode connected/);
    // Nothing to forge: in Socket Mode Slack never calls the bot over HTTP.
    expect((await fetch(`${bot.url}/slack/events`, { method: 'POST', body: 'payload=%7B%7D' })).status).toBe(404);
    expect((await fetch(`${bot.url}/metrics`)).status).toBe(200);
  });

  it('vertical slice: alert → proposal → refusal → two approvals → verified → postmortem, over the socket', async () => {
    const ch = channels['fraud-scorer'];
    const msg = await proposalFor('fraud-scorer');
    expect((await slack.click(users.mallory, ch, msg, ACTION_APPROVE)).status).toBe(200);
    await emu.waitFor(() => emu.ephemerals(users.mallory.id).length === 1, 5000, 'refusal to mallory');
    await slack.click(users.alice, ch, msg, ACTION_APPROVE);
    await emu.waitFor(() => shows(ch.id, msg.ts, '1/2'), 5000, 'first approval shown');
    await slack.click(users.bob, ch, msg, ACTION_APPROVE);
    await emu.waitFor(() => state('fraud-scorer') === 'verified', 5000, 'verified');
    expect(rollbacks('fraud-scorer')).toBe(1);
    expect(approvals('fraud-scorer')).toEqual([users.alice.id, users.bob.id]);
    expect((await firing('fraud-scorer', 'resolved')).status).toBe(200);
    const written = await emu.waitFor(() => db().prepare("SELECT postmortem_path FROM incidents WHERE service = 'fraud-scorer'").pluck().get() as string | null, 5000, 'postmortem written');
    expect(existsSync(written)).toBe(true);
    await bot.settled();
    // Every step reached the thread, one message per audited step.
    expect(emu.thread(ch.id, msg.ts).length).toBeGreaterThan(5);
    expect(actions('fraud-scorer').filter((a) => a === 'execution.started')).toHaveLength(1);
    expect(slack.deliveries.every((d) => d.acked && d.attempts === 1)).toBe(true);
  });

  it('a slash command answers, and a reject opens a modal whose submission is validated in the ack', async () => {
    const ch = channels.search;
    const res = await slack.command(users.mallory, ch, 'rollback search quality dropped after s2');
    expect(res.status).toBe(200);
    const msg = await emu.waitFor(() => proposalMessage(ch.id), 5000, 'search proposal');
    await emu.waitFor(() => emu.ephemerals(users.mallory.id).find((e) => e.text.includes('search')), 5000, 'command reply');
    await slack.click(users.bob, ch, msg, ACTION_REJECT);
    const opened = await emu.waitFor(() => emu.views().at(-1), 5000, 'reject modal');
    const proposalId = String(opened.view.private_metadata);
    const submit = (reason: string) => slack.post(new URLSearchParams({ payload: JSON.stringify({
      type: 'view_submission', team: { id: 'T0BACKSTOP', domain: 'backstop' }, user: { id: users.bob.id, username: 'bob', name: 'bob', team_id: 'T0BACKSTOP' },
      api_app_id: 'A0BACKSTOP', trigger_id: emu.triggerId(users.bob.id), response_urls: [],
      view: { id: opened.id, type: 'modal', callback_id: VIEW_REJECT, private_metadata: proposalId, team_id: 'T0BACKSTOP', app_id: 'A0BACKSTOP', bot_id: 'B0BACKSTOP', hash: '1.abc', blocks: [], title: { type: 'plain_text', text: 'Reject rollback' },
        state: { values: { [BLOCK_REJECT_REASON]: { [ACTION_REJECT_REASON]: { type: 'plain_text_input', value: reason } } } } },
    }) }).toString());
    // The modal's errors come back in the ack's payload, as they would in an HTTP answer.
    expect(await (await submit('  ')).json()).toMatchObject({ response_action: 'errors', errors: { [BLOCK_REJECT_REASON]: expect.any(String) } });
    expect(state('search')).toBe('pending');
    expect((await submit('s1 has the same bug')).status).toBe(200);
    await emu.waitFor(() => state('search') === 'rejected', 5000, 'rejected');
    expect(bot.sqlite.proposals.get(proposalId)!.decisionReason).toBe('s1 has the same bug');
    expect(rollbacks('search')).toBe(0);
  });

  it('a lost ack: the envelope comes again with retry_attempt 1 and is not handled twice (one approval, one execution, one refusal)', async () => {
    const ch = channels.ranker;
    const msg = await proposalFor('ranker');
    const refusalsBefore = emu.ephemerals(users.mallory.id).length;
    for (const user of [users.mallory, users.alice, users.bob]) {
      emu.dropNextSocketAcks(1);
      const res = await slack.click(user, ch, msg, ACTION_APPROVE);
      expect(res.status).toBe(200);
      const delivery = slack.deliveries.at(-1)!;
      expect(delivery.attempts).toBe(2);
      const sends = emu.socketEvents.filter((e) => e.kind === 'sent' && e.envelopeId === delivery.envelopeId);
      expect(sends.map((e) => e.kind === 'sent' && e.retryAttempt)).toEqual([0, 1]);
      if (user === users.alice) await emu.waitFor(() => shows(ch.id, msg.ts, '1/2'), 5000, 'first approval shown');
    }
    await emu.waitFor(() => state('ranker') === 'verified', 5000, 'verified');
    await bot.settled();
    expect(approvals('ranker')).toEqual([users.alice.id, users.bob.id]);
    expect(actions('ranker').filter((a) => a === 'proposal.approved_by')).toHaveLength(2);
    expect(actions('ranker').filter((a) => a === 'execution.started')).toHaveLength(1);
    expect(rollbacks('ranker')).toBe(1);
    expect(emu.ephemerals(users.mallory.id).length - refusalsBefore).toBe(1);
    // Each approver was answered once, never "already approved" after "approved".
    for (const u of [users.alice, users.bob]) {
      const told = emu.ephemerals(u.id).filter((e) => e.channel === ch.id);
      expect(told).toHaveLength(1);
      expect(told[0]!.text).not.toMatch(/already/i);
    }
  });

  it('a disconnect (refresh_requested) mid-incident: the bot reconnects at once and the next click is handled', async () => {
    const ch = channels.pricing;
    const msg = await proposalFor('pricing');
    await slack.click(users.alice, ch, msg, ACTION_APPROVE);
    await emu.waitFor(() => shows(ch.id, msg.ts, '1/2'), 5000, 'first approval shown');
    const connectionsBefore = emu.socketEvents.filter((e) => e.kind === 'connected').length;
    const told = Date.now();
    expect(emu.disconnectSockets('refresh_requested')).toBe(1);
    await emu.waitFor(() => emu.socketEvents.filter((e) => e.kind === 'connected').length > connectionsBefore && emu.socketConnections === 1, 5000, 'reconnected');
    // Promptly: not after the client's 5 s ping timeout.
    expect(Date.now() - told).toBeLessThan(3000);
    const res = await slack.click(users.bob, ch, msg, ACTION_APPROVE);
    expect(res.status).toBe(200);
    expect(slack.deliveries.at(-1)!.attempts).toBe(1);
    await emu.waitFor(() => state('pricing') === 'verified', 5000, 'verified');
    expect(rollbacks('pricing')).toBe(1);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
  });

  it('is not ready while the socket is down, says why, and reconnects once Slack lets it', async () => {
    // Slack asks for a reconnect, then refuses the next connections for a while.
    emu.failNext('apps.connections.open', { error: 'internal_error' }, 3);
    expect(emu.disconnectSockets('warning')).toBe(1);
    const down = await until(async () => {
      const res = await fetch(`${bot.url}/readyz`);
      const body = (await res.json()) as { checks: Record<string, string> };
      return res.status === 503 ? body.checks.slack : undefined;
    }, 5000, 'not ready while disconnected');
    expect(down).toMatch(/^not connected: Socket Mode connection down since .*internal_error/);
    // Alerts are still taken meanwhile.
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    await emu.waitFor(() => emu.socketConnections === 1, 10_000, 'reconnected after the refusals');
    await until(async () => (await fetch(`${bot.url}/readyz`)).status === 200, 5000, 'ready again');
  });
});
