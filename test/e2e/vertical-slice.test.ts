/**
 * The whole path once, through real parts: the real Bolt app on loopback, talking over HTTP
 * to the project's Slack emulator; Alertmanager's captured payloads; the local registry in
 * the SQLite file; signed Slack requests built exactly as Slack sends them.
 */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { startBackstop, type Backstop } from '../../src/bootstrap.js';
import { parseEnv } from '../../src/config/env.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { SlackEmulator, type SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_REJECT_REASON, BLOCK_REJECT_REASON, VIEW_REJECT } from '../../src/slack/ids.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { seedRegistry } from '../support/bot-fixture.js';
import { alertmanagerDelivery } from '../support/fixtures.js';
import { SlackDriver } from '../support/slack-driver.js';

const SIGNING_SECRET = 'e2e-signing-secret-0123456789';
const AM_TOKEN = 'alertmanager-token-0123456789';
const fixture = (name: string) => alertmanagerDelivery(name);

let emu: SlackEmulator;
let bot: Backstop;
let slack: SlackDriver;
let dir: string;
let dbFile: string;
const logLines: string[] = [];
const users = { alice: { id: 'U0ALICE', name: 'alice' }, bob: { id: 'U0BOB', name: 'bob' }, mallory: { id: 'U0MALLORY', name: 'mallory' } };
const incidentChannel = { id: 'C0FRAUD', name: 'fraud-scorer-incidents' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backstop-e2e-'));
  dbFile = join(dir, 'backstop.db');
  emu = new SlackEmulator();
  await emu.start();
  for (const u of Object.values(users)) emu.addUser({ id: u.id, name: u.name, email: `${u.name}@example.com` });
  emu.addChannel({ id: incidentChannel.id, name: incidentChannel.name, members: Object.values(users).map((u) => u.id) });

  // An earlier good release v41, then the bad v42: what `npx backstop registry` would have recorded.
  seedRegistry(dbFile, [['fraud-scorer', 'v41', 'v42'], ['ranker', 'r1', 'r2']]);

  const policy = parsePolicy(`
defaults: { settle: 0s, proposalTtl: 30m }
postmortemDir: ${join(dir, 'postmortems')}
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    channel: ${incidentChannel.id}
    critical: true
    approvers: { users: [${users.alice.id}, ${users.bob.id}] }
    adapter: { kind: local-registry, model: fraud-scorer, alias: production }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.80 }, comparator: lt, threshold: 0.85 }
    runbook: https://runbooks.example/fraud-scorer
  ranker:
    match: { service: ranker }
    approvers: { users: [${users.alice.id}, ${users.bob.id}] }
    adapter: { kind: local-registry, model: ranker }
    slis:
      - { name: ndcg, source: static, values: { r1: 0.7, r2: 0.5 }, comparator: lt, threshold: 0.6 }
`);
  if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
  const env = parseEnv({
    SLACK_BOT_TOKEN: 'xoxb-backstop-emulator', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: emu.url,
    PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: dbFile, ALERTMANAGER_TOKEN: AM_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY,
  });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  bot = await startBackstop({ env: env.env, policy: policy.policy, pacing: { channelIntervalMs: 20, channelBurst: 3 }, logger: createLogger({ level: 'debug', destination: new Writable({ write(c, _e, cb) { logLines.push(String(c)); cb(); } }) }) });
  slack = new SlackDriver(emu, bot.url, SIGNING_SECRET);
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

function postAlerts(body: unknown, token: string | null = AM_TOKEN): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${bot.url}/alerts/alertmanager`, { method: 'POST', headers, body: JSON.stringify(body) });
}

function counts() {
  const db = bot.sqlite.db;
  const one = (sql: string) => db.prepare(sql).pluck().get() as number;
  return { alerts: one('SELECT count(*) FROM alerts'), incidents: one('SELECT count(*) FROM incidents'), proposals: one('SELECT count(*) FROM proposals'), audit: one('SELECT count(*) FROM audit') };
}

function rollbackRows(model: string): number {
  return bot.sqlite.db.prepare("SELECT count(*) FROM registry_history WHERE model = ? AND kind = 'rollback'").pluck().get(model) as number;
}

const proposalMessage = (channel: string) => emu.messages(channel, { topLevel: true }).find((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_APPROVE) || m.text.startsWith('Rollback proposal'));
const threadTexts = (channel: string, ts: string) => emu.thread(channel, ts).slice(1).map((m) => m.text);

describe('vertical slice: alert → proposal → approvals → rollback → verification → postmortem', () => {
  let proposal: SlackMessage;

  it('refuses alerts without the bearer token and malformed alerts, storing nothing', async () => {
    const before = counts();
    expect((await postAlerts(fixture('firing-two-alerts.json'), null)).status).toBe(401);
    expect((await postAlerts(fixture('firing-two-alerts.json'), 'wrong-token-0123456789')).status).toBe(401);
    const bad = fixture('firing-two-alerts.json');
    bad.alerts[0].startsAt = 'not a time';
    delete bad.alerts[1].fingerprint;
    const res = await postAlerts(bad);
    expect(res.status).toBe(400);
    const body = await res.json() as { issues: { path: string }[]; message: string };
    expect(body.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['alerts.0.startsAt', 'alerts.1.fingerprint']));
    expect(body.message).toContain('alerts.0.startsAt');
    const notJson = await fetch(`${bot.url}/alerts/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${AM_TOKEN}`, 'content-type': 'application/json' }, body: '{"receiver":' });
    expect(notJson.status).toBe(400);
    expect(counts()).toEqual(before);
  });

  it('posts a rollback proposal with versions, SLI table, runbook and buttons when the alert fires', async () => {
    const res = await postAlerts(fixture('firing-two-alerts.json'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: 2, new: 2 });
    // Alertmanager re-sends the group on every flush: no second incident or proposal.
    expect(await (await postAlerts(fixture('firing-two-alerts.json'))).json()).toMatchObject({ duplicates: 2 });
    proposal = await emu.waitFor(() => proposalMessage(incidentChannel.id), 5000, 'proposal posted');
    const blocks = JSON.stringify(proposal.blocks);
    expect(blocks).toContain('`v42` → `v41`');
    expect(blocks).toMatch(/accuracy\s+0\.91\s+0\.8\s+< 0\.85\s+❌ breach/);
    expect(blocks).toContain('https://runbooks.example/fraud-scorer');
    expect(blocks).toContain('0/2');
    expect(counts()).toMatchObject({ incidents: 1, proposals: 1, alerts: 2 });
  });

  it('refuses a forged or stale Slack request with 401 and changes nothing', async () => {
    const before = counts();
    const body = slack.clickBody(users.alice, incidentChannel, proposal, ACTION_APPROVE);
    expect((await slack.post(body, { secret: 'not-the-signing-secret' })).status).toBe(401);
    expect((await slack.post(body, { ts: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    await bot.settled();
    expect(counts()).toEqual(before);
    expect(bot.sqlite.proposals.liveFor('fraud-scorer')!.approvals).toEqual([]);
  });

  it('tells a non-approver who may approve, audits the attempt, and executes nothing', async () => {
    expect((await slack.click(users.mallory, incidentChannel, proposal, ACTION_APPROVE)).status).toBe(200);
    const refusal = await emu.waitFor(() => emu.ephemerals(users.mallory.id).at(-1), 5000, 'refusal to mallory');
    expect(refusal.text).toContain('not an approver');
    expect(refusal.text).toContain(`<@${users.alice.id}>`);
    expect(emu.ephemerals(users.alice.id)).toHaveLength(0);
    await bot.settled();
    expect(rollbackRows('fraud-scorer')).toBe(0);
    expect(threadTexts(incidentChannel.id, proposal.ts).join('\n')).toContain(`<@${users.mallory.id}> tried to approve but was refused`);
  });

  it('rolls back exactly once after two distinct approvers, and verifies recovery', async () => {
    await slack.click(users.alice, incidentChannel, proposal, ACTION_APPROVE);
    await emu.waitFor(() => JSON.stringify(emu.messages(incidentChannel.id).find((m) => m.ts === proposal.ts)?.blocks ?? '').includes('1/2'), 5000, 'message updated to 1/2');
    // A double click and a Slack retry of the second approval must not execute twice.
    await Promise.all([
      slack.click(users.bob, incidentChannel, proposal, ACTION_APPROVE),
      slack.click(users.bob, incidentChannel, proposal, ACTION_APPROVE, { retryNum: 1 }),
      slack.click(users.alice, incidentChannel, proposal, ACTION_APPROVE),
    ]);
    await emu.waitFor(() => threadTexts(incidentChannel.id, proposal.ts).find((t) => t.includes('Verified')), 5000, 'verified reply');
    await bot.settled();
    expect(rollbackRows('fraud-scorer')).toBe(1);
    const registry = new LocalRegistry(bot.sqlite.db, systemClock);
    const alias = registry.alias('fraud-scorer', 'production');
    expect(alias.ok && alias.value.version).toBe('v41');
    const p = bot.sqlite.proposals.recent('fraud-scorer', 1)[0]!;
    expect(p.state).toBe('verified');
    expect(p.approvals.map((a) => a.user).sort()).toEqual([users.alice.id, users.bob.id]);
    const updated = emu.messages(incidentChannel.id).find((m) => m.ts === proposal.ts)!;
    expect(JSON.stringify(updated.blocks)).toContain('rolled back and verified');
    expect(JSON.stringify(updated.blocks)).not.toContain(ACTION_APPROVE);
  });

  it('posts the postmortem in the thread when the alerts resolve: a summary in blocks, then the markdown draft and the SLI chart as files', async () => {
    expect((await postAlerts(fixture('resolved-two-alerts.json'))).status).toBe(200);
    const thread = () => emu.thread(incidentChannel.id, proposal.ts).slice(1);
    await emu.waitFor(() => thread().filter((m) => m.files?.length).length >= 2, 10_000, 'postmortem files');
    await bot.settled();
    const texts = thread().map((m) => m.text);
    const steps = ['Proposed rollback', `Approved by <@${users.alice.id}>`, `Approved by <@${users.bob.id}>`, 'Quorum reached', 'Executing rollback', 'Rolled back fraud-scorer to v41', 'Verified', 'All alerts resolved', 'Postmortem draft'];
    const at = steps.map((s) => texts.findIndex((t) => t.includes(s)));
    expect(at.filter((i) => i < 0)).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(bot.sqlite.incidents.listOpen()).toHaveLength(0);

    // The summary: blocks people read at a glance, approvers as mentions, no local path.
    const summary = thread().find((m) => m.text.includes('Postmortem draft'))!;
    const shown = JSON.stringify(summary.blocks);
    for (const words of ['Impact window', 'Time to proposal', 'Time to approval', 'Time to recovery', '`v42` → `v41`: verified', `<@${users.alice.id}>, <@${users.bob.id}>`, '*accuracy*: 0.8 ❌ breach → 0.91 ✅ ok']) expect(shown).toContain(words);
    expect(summary.blocks?.[0]).toMatchObject({ type: 'header' });
    expect(shown).not.toContain(join(dir, 'postmortems'));
    const outsideMentions = (t: string) => t.replace(/<@[A-Z0-9]+>/g, '');
    expect(outsideMentions(summary.text + shown)).not.toMatch(/\bU[0-9A-Z]{6,}\b/);

    // The files, fetched as a client would: url_private with the bot token.
    const files = thread().flatMap((m) => (m.files ?? []) as { name: string; title: string; url_private: string; mimetype: string }[]);
    const md = files.find((f) => f.name.endsWith('.md'))!;
    const chart = files.find((f) => f.name.endsWith('.png'))!;
    const incidentId = bot.sqlite.db.prepare('SELECT id FROM incidents WHERE service = ?').pluck().get('fraud-scorer') as string;
    expect(md.name).toBe(`postmortem-${incidentId}.md`);
    expect(chart.mimetype).toBe('image/png');
    const get = (url: string, token = 'xoxb-backstop-emulator') => fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect((await get(md.url_private, 'xoxb-not-the-token')).status).toBe(403);
    const text = await (await get(md.url_private)).text();
    expect(text).toContain('fraud-scorer v42 → v41: verified');
    expect(text).toMatch(/\| accuracy \| 0\.91 \| 0\.8 \(breach\) \| 0\.91 \|/);
    for (const heading of ['## Impact', '## Timeline (UTC)', '## Root cause', '## Decisions', '## Action items']) expect(text).toContain(heading);
    expect(text).toContain('Approved by: alice, bob');
    expect(text).toContain('| mallory |');
    expect(outsideMentions(text)).not.toMatch(/\bU[0-9A-Z]{6,}\b/);
    const times = [...text.matchAll(/^\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \|/gm)].map((m) => m[1]!);
    expect(times.length).toBeGreaterThan(5);
    expect([...times].sort()).toEqual(times);
    // The draft on disk is the same one.
    const written = bot.sqlite.db.prepare('SELECT postmortem_path FROM incidents WHERE service = ?').pluck().get('fraud-scorer') as string;
    expect(readFileSync(written, 'utf8')).toBe(text);

    const png = PNG.sync.read(Buffer.from(await (await get(chart.url_private)).arrayBuffer()));
    expect(png.width).toBe(960);
    expect(png.height).toBeGreaterThan(200);
    let inked = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! < 200 || png.data[i + 1]! < 200 || png.data[i + 2]! < 200) inked++;
    expect(inked).toBeGreaterThan(2000);
  });

  it('keeps an audit chain that `npx backstop audit verify` accepts, and that detects tampering', async () => {
    const cli = join(process.cwd(), 'bin', 'backstop.js');
    const ok = spawnSync('node', [cli, 'audit', 'verify'], { env: { ...process.env, BACKSTOP_DB: dbFile, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY }, encoding: 'utf8' });
    expect(ok.stdout).toMatch(/audit chain ok: \d+ row\(s\) verified/);
    expect(ok.status).toBe(0);
    bot.sqlite.db.prepare("UPDATE audit SET actor = 'U0MALLORY' WHERE action = 'proposal.approved_by' AND seq = (SELECT min(seq) FROM audit WHERE action = 'proposal.approved_by')").run();
    const broken = spawnSync('node', [cli, 'audit', 'verify'], { env: { ...process.env, BACKSTOP_DB: dbFile, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY }, encoding: 'utf8' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('was changed after it was written');
  });
});

describe('secrets', () => {
  it('never reach Slack, the audit trail or the logs', () => {
    const slackSide = JSON.stringify(emu.calls.map((c) => c.args));
    const audit = JSON.stringify(bot.sqlite.db.prepare('SELECT * FROM audit').all());
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    const postmortems = (bot.sqlite.db.prepare('SELECT postmortem_path FROM incidents WHERE postmortem_path IS NOT NULL').pluck().all() as string[]).map((f) => readFileSync(f, 'utf8')).join('');
    expect(postmortems).toContain('Postmortem draft');
    for (const secret of [SIGNING_SECRET, AM_TOKEN, 'xoxb-backstop-emulator', TEST_AUDIT_KEY]) {
      expect(slackSide).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(postmortems).not.toContain(secret);
    }
  });
});

describe('slash commands', () => {
  it('/backstop rollback creates the incident channel and a proposal the requester cannot approve', async () => {
    const res = await slack.command(users.alice, incidentChannel, 'rollback ranker ndcg dropped after r2');
    expect(res.status).toBe(200);
    const reply = await emu.waitFor(() => emu.ephemerals(users.alice.id).find((e) => e.text.includes('ranker')), 5000, 'command reply');
    expect(reply.text).toContain('r2 → r1');
    const channel = await emu.waitFor(() => emu.channel(`inc-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-ranker`), 5000, 'incident channel');
    const msg = await emu.waitFor(() => proposalMessage(channel.id), 5000, 'ranker proposal');
    await slack.click(users.alice, { id: channel.id, name: channel.name }, msg, ACTION_APPROVE);
    const refusal = await emu.waitFor(() => emu.ephemerals(users.alice.id).find((e) => e.text.includes('requested this rollback')), 5000, 'requester refusal');
    expect(refusal.channel).toBe(channel.id);
    await bot.settled();
    expect(rollbackRows('ranker')).toBe(0);
    const again = await slack.command(users.bob, incidentChannel, 'rollback ranker still bad');
    expect(again.status).toBe(200);
    await emu.waitFor(() => emu.ephemerals(users.bob.id).find((e) => e.text.includes('already pending')), 5000, 'duplicate refused');
    expect(bot.sqlite.proposals.recent('ranker', 10)).toHaveLength(1);
  });

  it('/backstop status, history and help answer ephemerally', async () => {
    await slack.command(users.bob, incidentChannel, 'status');
    const status = await emu.waitFor(() => emu.ephemerals(users.bob.id).find((e) => e.text.includes('ranker:')), 5000, 'status');
    expect(status.text).toContain('waiting for approval (0/1)');
    await slack.command(users.bob, incidentChannel, 'history fraud-scorer');
    const history = await emu.waitFor(() => emu.ephemerals(users.bob.id).find((e) => e.text.includes('Recent rollbacks of fraud-scorer')), 5000, 'history');
    expect(history.text).toContain('v42 → v41: rolled back and verified');
    await slack.command(users.bob, incidentChannel, 'frobnicate');
    await emu.waitFor(() => emu.ephemerals(users.bob.id).find((e) => e.text.includes('Unknown command "frobnicate"')), 5000, 'unknown');
  });

  it('/backstop status <service> also shares a chart of its SLIs in the channel the command came from', async () => {
    const before = emu.messages(incidentChannel.id, { topLevel: true }).filter((m) => m.files?.length).length;
    await slack.command(users.bob, incidentChannel, 'status fraud-scorer');
    const shared = await emu.waitFor(() => emu.messages(incidentChannel.id, { topLevel: true }).filter((m) => m.files?.length).at(before), 10_000, 'chart shared');
    const file = (shared.files as { name: string; title: string; url_private: string }[])[0]!;
    expect(file.name).toMatch(/^sli-chart-fraud-scorer-.*\.png$/);
    expect(file.title).toContain('SLIs of fraud-scorer');
    const png = PNG.sync.read(Buffer.from(await (await fetch(file.url_private, { headers: { authorization: 'Bearer xoxb-backstop-emulator' } })).arrayBuffer()));
    expect(png.width).toBe(960);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
    expect(colours.size).toBeGreaterThan(20);
    await slack.command(users.bob, incidentChannel, 'status no-such-service');
    await emu.waitFor(() => emu.ephemerals(users.bob.id).find((e) => e.text.includes('Unknown service "no-such-service"')), 5000, 'unknown service');
  });

  it('/backstop resolve closes the incident, withdraws the pending proposal and posts a postmortem', async () => {
    await slack.command(users.bob, incidentChannel, 'resolve ranker');
    await emu.waitFor(() => emu.ephemerals(users.bob.id).find((e) => e.text.includes('resolved')), 5000, 'resolve reply');
    await bot.settled();
    const p = bot.sqlite.proposals.recent('ranker', 1)[0]!;
    expect(p.state).toBe('cancelled');
    expect(emu.thread(p.channelId, p.messageTs!).map((m) => m.text).join('\n')).toContain('Postmortem draft');
  });
});

describe('reject', () => {
  function submission(user: { id: string; name: string }, privateMetadata: string, reason: string): string {
    const payload = {
      type: 'view_submission', team: { id: 'T0BACKSTOP', domain: 'backstop' }, user: { id: user.id, username: user.name, name: user.name, team_id: 'T0BACKSTOP' },
      api_app_id: 'A0BACKSTOP', token: 'emulator-verification-token', trigger_id: emu.triggerId(user.id),
      view: {
        id: 'V0REJECT', type: 'modal', callback_id: VIEW_REJECT, private_metadata: privateMetadata, team_id: 'T0BACKSTOP', app_id: 'A0BACKSTOP', bot_id: 'B0BACKSTOP',
        state: { values: { [BLOCK_REJECT_REASON]: { [ACTION_REJECT_REASON]: { type: 'plain_text_input', value: reason } } } },
        hash: '1.abc', title: { type: 'plain_text', text: 'Reject rollback' }, blocks: [],
      },
      response_urls: [],
    };
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  it('asks for a reason in a modal and closes the proposal with it', async () => {
    const registry = new LocalRegistry(bot.sqlite.db, systemClock);
    registry.register('fraud-scorer', 'v43');
    registry.promote('fraud-scorer', 'v43', { actor: 'ci', reason: 'release' });
    await slack.command(users.mallory, incidentChannel, 'rollback fraud-scorer second regression');
    const msg = await emu.waitFor(() => emu.messages(incidentChannel.id, { topLevel: true }).filter((m) => m.text.startsWith('Rollback proposal')).at(1), 5000, 'second proposal');
    // Someone who may not reject gets no modal to type a reason into, and is told why at once.
    const viewsBefore = emu.views().length;
    await slack.click(users.mallory, incidentChannel, msg, ACTION_REJECT);
    await emu.waitFor(() => emu.ephemerals(users.mallory.id).find((e) => e.text.startsWith('Not rejected')), 5000, 'mallory refused before a modal');
    expect(emu.views()).toHaveLength(viewsBefore);
    await slack.click(users.bob, incidentChannel, msg, ACTION_REJECT);
    const opened = await emu.waitFor(() => emu.views().at(-1), 5000, 'reject modal');
    const proposalId = String(opened.view.private_metadata);
    expect(proposalId).toMatch(/^rb-/);
    const empty = await slack.post(submission(users.bob, proposalId, '  '));
    expect(empty.status).toBe(200);
    expect(await empty.json()).toMatchObject({ response_action: 'errors', errors: { [BLOCK_REJECT_REASON]: expect.any(String) } });
    expect(bot.sqlite.proposals.get(proposalId)!.state).toBe('pending');
    expect((await slack.post(submission(users.bob, proposalId, 'v41 has the same bug; roll forward instead'))).status).toBe(200);
    await emu.waitFor(() => bot.sqlite.proposals.get(proposalId)!.state === 'rejected', 5000, 'rejected');
    await bot.settled();
    expect(bot.sqlite.proposals.get(proposalId)!.decisionReason).toBe('v41 has the same bug; roll forward instead');
    expect(emu.thread(incidentChannel.id, msg.ts).map((m) => m.text).join('\n')).toContain(`Rejected by <@${users.bob.id}>: v41 has the same bug`);
    expect(rollbackRows('fraud-scorer')).toBe(1);
  });
});
