/**
 * The incident header end to end, through the real Bolt app against the Slack emulator: an
 * Alertmanager alert opens the incident, its header (severity, summary, generatorURL, suspected
 * deploy, dashboard) is the first message in the channel, before the proposal, and is edited in
 * place as the rollback goes: investigating → rolling back → verified → resolved.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackstop, type Backstop } from '../../src/bootstrap.js';
import { parseEnv } from '../../src/config/env.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { SlackEmulator, type SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { BLOCK_INCIDENT_HEADER } from '../../src/slack/views/incident-header.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { seedRegistry } from '../support/bot-fixture.js';
import { alertmanagerDelivery } from '../support/fixtures.js';
import { SlackDriver } from '../support/slack-driver.js';

const SIGNING_SECRET = 'header-signing-secret-0123456789';
const AM_TOKEN = 'alertmanager-token-header-0123456789';
const DEPLOY_TOKEN = 'deploy-token-header-0123456789';
const GENERATOR_URL = 'http://prometheus.example:9090/graph?g0.expr=model_accuracy%7Bmodel%3D%22fraud-scorer%22%7D+%3C+0.85';
const users = { alice: { id: 'U0ALICE', name: 'alice' }, bob: { id: 'U0BOB', name: 'bob' } };
const channel = { id: 'C0FRAUD', name: 'fraud-scorer-incidents' };

let emu: SlackEmulator;
let bot: Backstop;
let slack: SlackDriver;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-header-'));
  const dbFile = join(dir, 'backstop.db');
  emu = new SlackEmulator();
  await emu.start();
  for (const u of Object.values(users)) emu.addUser({ id: u.id, name: u.name, email: `${u.name}@example.com` });
  emu.addChannel({ id: channel.id, name: channel.name, members: Object.values(users).map((u) => u.id) });
  seedRegistry(dbFile, [['fraud-scorer', 'v41', 'v42'], ['ranker', 'r1', 'r2']]);
  const policy = parsePolicy(`
defaults: { settle: 0s, proposalTtl: 30m }
postmortemDir: ${join(dir, 'postmortems')}
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    channel: ${channel.id}
    critical: true
    approvers: { users: [${users.alice.id}, ${users.bob.id}] }
    adapter: { kind: local-registry, model: fraud-scorer, alias: production }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.80 }, comparator: lt, threshold: 0.85 }
    dashboard: "https://grafana.example/d/fraud?var-service={service}&from={from}&to={to}"
  ranker:
    match: { service: ranker }
    approvers: { users: [${users.alice.id}] }
    adapter: { kind: local-registry, model: ranker }
    slis:
      - { name: ndcg, source: static, values: { r1: 0.7, r2: 0.5 }, comparator: lt, threshold: 0.6 }
`);
  if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
  const env = parseEnv({
    SLACK_BOT_TOKEN: 'xoxb-backstop-emulator', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: emu.url,
    PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: dbFile, ALERTMANAGER_TOKEN: AM_TOKEN, DEPLOY_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY,
  });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  bot = await startBackstop({ env: env.env, policy: policy.policy, pacing: { channelIntervalMs: 20, channelBurst: 3 }, logger: createLogger({ level: 'silent' }) });
  slack = new SlackDriver(emu, bot.url, SIGNING_SECRET);
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

function post(path: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${bot.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
}

const isHeader = (m: SlackMessage) => JSON.stringify(m.blocks ?? []).includes(`"block_id":"${BLOCK_INCIDENT_HEADER}"`);
const isProposal = (m: SlackMessage) => JSON.stringify(m.blocks ?? []).includes(ACTION_APPROVE) || m.text.startsWith('Rollback proposal');
const headers = (ch: string) => emu.messages(ch, { topLevel: true }).filter(isHeader);
const shown = (m: SlackMessage | undefined) => JSON.stringify(m?.blocks ?? []);

describe('incident header', () => {
  let header: SlackMessage;
  let proposal: SlackMessage;

  it('is posted when the alert fires, before the proposal, with severity, summary, generatorURL, deploy and dashboard', async () => {
    expect((await post('/deploys', DEPLOY_TOKEN, { service: 'fraud-scorer', version: 'v42', by: 'ci-pipeline#812', at: new Date(Date.now() - 5 * 60_000).toISOString() })).status).toBe(201);
    expect((await post('/alerts/alertmanager', AM_TOKEN, alertmanagerDelivery('firing-two-alerts.json'))).status).toBe(200);
    proposal = await emu.waitFor(() => emu.messages(channel.id, { topLevel: true }).find(isProposal), 5000, 'proposal posted');
    await bot.settled();
    const top = emu.messages(channel.id, { topLevel: true });
    expect(top.filter(isHeader)).toHaveLength(1);
    header = top.find(isHeader)!;
    // First in the channel: the proposal comes after the header.
    expect(Number(header.ts)).toBeLessThan(Number(proposal.ts));
    expect(top.indexOf(top.find(isHeader)!)).toBe(0);
    const blocks = shown(header);
    expect(header.text).toContain('fraud-scorer (critical)');
    expect(blocks).toContain('*Severity*\\ncritical');
    expect(blocks).toContain('fraud-scorer accuracy below 0.85 for 10m');
    expect(blocks).toContain(GENERATOR_URL);
    expect(blocks).toContain('*Alerts firing*\\n2 of 2');
    expect(blocks).toMatch(/\*Started\*\\n<!date\^\d+\^\{date_short_pretty\} \{time\}\|/);
    expect(blocks).toContain('`v42` by ci-pipeline#812');
    expect(blocks).toMatch(/https:\/\/grafana\.example\/d\/fraud\?var-service=fraud-scorer&from=\d+&to=now/);
    // Pending proposal: still investigating, awaiting approval, and a link to the proposal message.
    expect(blocks).toContain('Investigating: rollback awaiting approval');
    expect(blocks).toContain('Waiting for approvals of the rollback v42 → v41: 0/2');
    expect(blocks).toContain(`https://slack.com/archives/${channel.id}/p${proposal.ts.replace('.', '')}`);
    // The proposal points back to the header.
    expect(shown(emu.messages(channel.id).find((m) => m.ts === proposal.ts))).toContain(`https://slack.com/archives/${channel.id}/p${header.ts.replace('.', '')}`);
  });

  it('follows the rollback to "verified", edited in place', async () => {
    await slack.click(users.alice, channel, proposal, ACTION_APPROVE);
    await emu.waitFor(() => shown(emu.messages(channel.id).find((m) => m.ts === header.ts)).includes('1/2'), 5000, 'header shows 1/2');
    await slack.click(users.bob, channel, proposal, ACTION_APPROVE);
    await emu.waitFor(() => shown(emu.messages(channel.id).find((m) => m.ts === header.ts)).includes('🟢 Verified'), 5000, 'header verified');
    await bot.settled();
    const now = shown(emu.messages(channel.id).find((m) => m.ts === header.ts));
    expect(now).toContain('Rolled back to v41. Watching: the incident resolves when its alerts do.');
    expect(now).toContain(': verified');
    expect(headers(channel.id)).toHaveLength(1);
  });

  it('says resolved once the alerts resolve', async () => {
    expect((await post('/alerts/alertmanager', AM_TOKEN, alertmanagerDelivery('resolved-two-alerts.json'))).status).toBe(200);
    await emu.waitFor(() => shown(emu.messages(channel.id).find((m) => m.ts === header.ts)).includes('✅ Resolved'), 5000, 'header resolved');
    await bot.settled();
    const now = shown(emu.messages(channel.id).find((m) => m.ts === header.ts));
    expect(now).toContain('*Resolved*\\n<!date^');
    expect(now).toContain('✅ resolved');
    expect(headers(channel.id)).toHaveLength(1);
  });

  it('creates the incident channel at send time for a service without one, header first', async () => {
    const ranker = alertmanagerDelivery('firing-two-alerts.json');
    ranker.alerts = ranker.alerts.slice(0, 1).map((a: { labels: Record<string, string>; fingerprint: string }) => ({ ...a, labels: { ...a.labels, service: 'ranker', severity: 'warning' }, fingerprint: 'abcdef0123456789' }));
    expect((await post('/alerts/alertmanager', AM_TOKEN, ranker)).status).toBe(200);
    const created = await emu.waitFor(() => emu.listChannels().find((c) => c.name.startsWith('inc-') && c.name.endsWith('-ranker')), 5000, 'incident channel');
    await emu.waitFor(() => emu.messages(created.id, { topLevel: true }).find(isProposal), 5000, 'ranker proposal');
    await bot.settled();
    const top = emu.messages(created.id, { topLevel: true });
    expect(isHeader(top[0]!)).toBe(true);
    expect(shown(top[0])).toContain('*Severity*\\nwarning');
    expect(top.filter(isHeader)).toHaveLength(1);
  });
});
