/**
 * The bot restarts while the Slack API answers nothing (an incident is exactly when that
 * happens), in HTTP mode and in Socket Mode. Start-up must not wait on Slack: the execution the
 * last process left approved is carried out and verified, a pending proposal expires at its time,
 * alerts are taken, /readyz says what is missing, and SIGTERM ends the process. Every Slack message
 * waits in the outbox; once Slack answers, each is delivered once, in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackEmulator, SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { openDb } from '../../src/store/db.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { AM_TOKEN, BOT_TOKEN, policyYaml, seedRegistry, SIGNING_SECRET, startEmulator, USERS } from '../support/bot-fixture.js';
import { stopAllChildren, stopChild, trackForTest } from '../support/children.js';
import { alertmanagerDelivery } from '../support/fixtures.js';
import { freePort } from '../support/net.js';
import { SlackDriver } from '../support/slack-driver.js';
import { SlackGate } from '../support/slack-gate.js';
import { until } from '../support/until.js';

let emu: SlackEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await stopAllChildren();
  await emu?.stop();
});

function startBot(env: Record<string, string>): ChildProcess {
  return trackForTest(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] }));
}

async function healthy(url: string, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('bot exited during start-up');
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('bot did not answer /healthz');
}

const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
  else child.once('exit', (code, signal) => resolve({ code, signal }));
});

function alert(service: string) {
  const body = alertmanagerDelivery('firing-two-alerts.json');
  body.alerts = body.alerts.slice(0, 1).map((a: Record<string, unknown>) => ({ ...a, labels: { alertname: 'QualityDrop', service, severity: 'critical' }, fingerprint: Buffer.from(service).toString('hex') }));
  body.groupLabels = { alertname: 'QualityDrop', service };
  body.commonLabels = { alertname: 'QualityDrop', service };
  body.groupKey = `{}:{service="${service}"}`;
  return body;
}

/** The outbox ids a message was posted for (one, or a folded run `outbox_id`..`through_outbox_id`). */
function outboxIds(m: SlackMessage): number[] {
  const p = m.metadata?.event_payload as { outbox_id?: number; through_outbox_id?: number } | undefined;
  if (typeof p?.outbox_id !== 'number') return [];
  const through = typeof p.through_outbox_id === 'number' ? p.through_outbox_id : p.outbox_id;
  return Array.from({ length: through - p.outbox_id + 1 }, (_, i) => p.outbox_id! + i);
}

describe.each(['http', 'socket'] as const)('the Slack API answers nothing at boot (%s mode)', (mode) => {
  it('recovers, expires on time, takes alerts, says what is missing, stops on SIGTERM; then delivers every queued message once, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), `backstop-slackdown-${mode}-`));
    const dbFile = join(dir, 'backstop.db');
    const config = join(dir, 'backstop.yaml');
    const channel = { id: `C0DOWN${mode.toUpperCase()}`, name: `slack-down-${mode}` };
    emu.addChannel({ ...channel, members: Object.values(USERS).map((u) => u.id) });
    const ttlS = 14;
    writeFileSync(config, policyYaml(dir).replace(/channel: \S+/, `channel: ${channel.id}`) + `
  ranker:
    match: { service: ranker }
    channel: ${channel.id}
    proposalTtl: ${ttlS}s
    approvers: { users: [${USERS.alice.id}] }
    adapter: { kind: local-registry, model: ranker, alias: production }
    slis:
      - { name: ndcg, source: static, values: { r1: 0.7, r2: 0.5 }, comparator: lt, threshold: 0.6 }
  pricing:
    match: { service: pricing }
    channel: ${channel.id}
    approvers: { users: [${USERS.alice.id}] }
    adapter: { kind: local-registry, model: pricing, alias: production }
    slis:
      - { name: margin, source: static, values: { p1: 0.7, p2: 0.5 }, comparator: lt, threshold: 0.6 }
`);
    seedRegistry(dbFile, [['fraud-scorer', 'v41', 'v42'], ['ranker', 'r1', 'r2'], ['pricing', 'p1', 'p2']]);
    const gate = new SlackGate(emu.url);
    const gateUrl = await gate.start();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const base = {
      SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: String(port), HOST: '127.0.0.1',
      BACKSTOP_DB: dbFile, BACKSTOP_CONFIG: config, ALERTMANAGER_TOKEN: AM_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY,
    };
    const post = (service: string) => fetch(`${url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` }, body: JSON.stringify(alert(service)) });
    const db = openDb(dbFile);
    try {
      const state = (service: string) => db.prepare('SELECT state FROM proposals WHERE service = ?').pluck().get(service) as string | undefined;

      // 1. Slack up: ranker waits for approval; fraud-scorer gets both approvals and the process dies at "approved".
      const first = startBot({ ...base, SLACK_API_URL: emu.url, BACKSTOP_TEST_KILL_AT: 'approved' });
      const killed = exited(first);
      await healthy(url, first);
      expect((await post('ranker')).status).toBe(200);
      expect((await post('fraud-scorer')).status).toBe(200);
      const proposalOf = (service: string) => emu.messages(channel.id, { topLevel: true }).find((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_APPROVE) && JSON.stringify(m.blocks).includes(service));
      const msg = await emu.waitFor(() => proposalOf('fraud-scorer'), 10_000, 'fraud-scorer proposal');
      const slack = new SlackDriver(emu, url, SIGNING_SECRET);
      await slack.click(USERS.alice, channel, msg, ACTION_APPROVE);
      await emu.waitFor(() => JSON.stringify(emu.messages(channel.id).find((m) => m.ts === msg.ts)?.blocks ?? '').includes('1/2'), 10_000, 'first approval shown');
      await slack.click(USERS.bob, channel, msg, ACTION_APPROVE).catch(() => undefined);
      expect((await killed).signal).toBe('SIGKILL');
      expect(state('fraud-scorer')).toBe('approved');
      expect(state('ranker')).toBe('pending');

      // 2. Slack answers nothing. The restarted bot gets on with everything that does not need it.
      const slackCallsBefore = emu.calls.length;
      const env = { ...base, SLACK_API_URL: gateUrl, ...(mode === 'socket' ? { SLACK_APP_TOKEN: emu.appToken } : {}) };
      const spawnedAt = Date.now();
      const second = startBot(env);
      await healthy(url, second);
      expect(Date.now() - spawnedAt).toBeLessThan(10_000);
      const ready = await fetch(`${url}/readyz`);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      if (mode === 'socket') {
        expect(ready.status).toBe(503);
        expect(checks.slack).toMatch(/^not connected: Socket Mode connection down/);
      } else {
        // Slack still reaches the bot over HTTP; intake must stay in service.
        expect(ready.status).toBe(200);
        expect(checks.slack).toMatch(/^ok \(degraded\).*Web API not answering/);
      }
      expect((await post('pricing')).status).toBe(200);
      // The execution left approved is carried out and verified without Slack.
      await emu.waitFor(() => state('fraud-scorer') === 'verified', 15_000, 'fraud-scorer verified while Slack is silent');
      expect(db.prepare("SELECT count(*) FROM registry_history WHERE model = 'fraud-scorer' AND kind = 'rollback'").pluck().get()).toBe(1);
      // The pending proposal expires at its time, not a sweep later.
      await emu.waitFor(() => state('ranker') === 'expired', (ttlS + 5) * 1000, 'ranker expired');
      const expiry = db.prepare("SELECT p.expires_at AS due, a.at AS at FROM audit a JOIN proposals p ON p.id = a.proposal_id WHERE p.service = 'ranker' AND a.action LIKE '%expire%'").get() as { due: string; at: string };
      expect(Date.parse(expiry.at) - Date.parse(expiry.due)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(expiry.at) - Date.parse(expiry.due)).toBeLessThan(3000);
      expect(state('pricing')).toBe('pending');
      // Nothing got through to Slack; it was asked, and everything waits in the outbox.
      expect(emu.calls.length).toBe(slackCallsBefore);
      expect(gate.heldMethods).toContain(mode === 'socket' ? 'apps.connections.open' : 'auth.test');
      const queued = db.prepare('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck().get() as number;
      expect(queued).toBeGreaterThan(3);

      // 3. SIGTERM ends it, with calls to Slack still hanging.
      const stopping = Date.now();
      second.kill('SIGTERM');
      const ended = await exited(second);
      expect(ended).toEqual({ code: 0, signal: null });
      expect(Date.now() - stopping).toBeLessThan(9_000);

      // 4. Started again, still without Slack; then Slack answers and the queue drains.
      const third = startBot(env);
      try {
        await healthy(url, third);
        gate.open();
        await emu.waitFor(() => (db.prepare('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck().get() as number) === 0, 30_000, 'outbox drained');
        if (mode === 'socket') {
          await emu.waitFor(() => emu.socketConnections === 1, 10_000, 'socket connected');
          await until(async () => (await fetch(`${url}/readyz`)).status === 200, 5_000, 'ready');
        }
        // Each queued step once, in queue order within its thread and at the channel's top level.
        const all = emu.messages(channel.id);
        const posted = all.flatMap(outboxIds);
        expect(new Set(posted).size).toBe(posted.length);
        const streams = new Map<string, number[]>();
        for (const m of all) streams.set(m.thread_ts ?? 'top', [...(streams.get(m.thread_ts ?? 'top') ?? []), ...outboxIds(m)]);
        for (const ids of streams.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));
        const rows = db.prepare("SELECT id FROM outbox WHERE kind IN ('post', 'thread') AND channel_id IS ? OR (kind = 'thread' AND proposal_id IN (SELECT id FROM proposals))").pluck().all(channel.id) as number[];
        expect(rows.filter((id) => !posted.includes(id))).toEqual([]);
        // The restarted steps are there: fraud-scorer's thread ends verified, ranker's says it expired.
        expect(db.prepare("SELECT count(*) FROM audit WHERE action = 'execution.started'").pluck().get()).toBe(1);
      } finally {
        await stopChild(third);
      }
    } finally {
      db.close();
      await gate.stop();
    }
  }, 120_000);
});
