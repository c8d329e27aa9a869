/**
 * What Backstop says in Slack is what it checked, end to end through the real Bolt app and the
 * Slack emulator: a deploy made between proposal and approval is never rolled back unseen, and a
 * target that acknowledges but keeps serving the old version is never called "Verified".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import type { SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { CHANNEL, startFixture, USERS, type Fixture } from '../support/bot-fixture.js';

const WEBHOOK_CHANNEL = { id: 'C0RANKING', name: 'ranking-incidents' };
const WEBHOOK_SECRET = 'whsec-e2e-ranking-0123456789';

/** A deploy system that answers 202 to every rollback request and never moves: it keeps serving r2. */
class StuckDeploySystem {
  server: Server = createServer((req, res) => {
    if (req.method === 'POST') {
      this.rollbackRequests++;
      req.resume();
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"detail":"queued"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ current: 'r2', lastGood: 'r1' }));
  });
  rollbackRequests = 0;
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

let fx: Fixture;
let deploySystem: StuckDeploySystem;

beforeAll(async () => {
  deploySystem = await new StuckDeploySystem().start();
  fx = await startFixture({
    secrets: { RANKING_ROLLBACK_SECRET: WEBHOOK_SECRET },
    seed: (r) => r.register('fraud-scorer', 'v43'),
    extraPolicy: `
  ranking-api:
    match: { service: ranking-api }
    channel: ${WEBHOOK_CHANNEL.id}
    approvers: { users: [${USERS.alice.id}, ${USERS.bob.id}] }
    adapter: { kind: http-webhook, url: "${deploySystem.url}/rollback", versionsUrl: "${deploySystem.url}/versions", secretEnv: RANKING_ROLLBACK_SECRET, timeout: 2s }
    readBackTimeout: 1500ms
    readBackInterval: 100ms
    slis:
      - { name: ndcg, source: static, values: { r1: 0.7, r2: 0.5 }, comparator: lt, threshold: 0.6 }
`,
  });
  fx.emu.addChannel({ id: WEBHOOK_CHANNEL.id, name: WEBHOOK_CHANNEL.name, members: Object.values(USERS).map((u) => u.id) });
});

afterAll(async () => {
  await fx?.stop();
  await deploySystem?.close();
});

function alert(service: string, fingerprint: string) {
  const labels = { alertname: 'SliDrop', service, severity: 'critical' };
  return {
    receiver: 'backstop', status: 'firing', version: '4', groupKey: `{}:{service="${service}"}`, truncatedAlerts: 0, groupLabels: {}, commonLabels: labels, commonAnnotations: {}, externalURL: '',
    alerts: [{ status: 'firing', labels, annotations: { summary: `${service} SLI dropped` }, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint }],
  };
}

async function proposalFor(channel: { id: string }, service: string): Promise<SlackMessage> {
  return fx.emu.waitFor(() => fx.emu.messages(channel.id, { topLevel: true }).find((m) => m.text.startsWith(`Rollback proposal for ${service}`) && JSON.stringify(m.blocks ?? []).includes(ACTION_APPROVE)), 5000, `${service} proposal`);
}

/** Every word Backstop posted about this proposal: the message, its edits and its thread. */
function everything(channel: { id: string }, root: SlackMessage): string {
  return fx.emu.thread(channel.id, root.ts).map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`).join('\n');
}

describe('truthful outcomes, end to end', () => {
  it('does not roll back a deploy made after the proposal: superseded, the thread says why, nothing is Verified', async () => {
    expect((await fx.postAlerts(alert('fraud-scorer', 'f0f0f0f0f0f0f0f0'))).status).toBe(200);
    const msg = await proposalFor(CHANNEL, 'fraud-scorer');
    expect(msg.text).toContain('v42 → v41');

    // CI deploys v43 while the approvers read the proposal (as `npx backstop registry promote` would).
    new LocalRegistry(fx.bot.sqlite.db, systemClock).promote('fraud-scorer', 'v43', { actor: 'ci', reason: 'release v43' });

    await fx.slack.click(USERS.alice, CHANNEL, msg, ACTION_APPROVE);
    await fx.slack.click(USERS.bob, CHANNEL, msg, ACTION_APPROVE);
    const p = await fx.emu.waitFor(() => fx.bot.sqlite.proposals.recent('fraud-scorer', 1).find((x) => x.state === 'superseded'), 5000, 'superseded');
    await fx.bot.settled();

    const registry = new LocalRegistry(fx.bot.sqlite.db, systemClock);
    const alias = registry.alias('fraud-scorer', 'production');
    expect(alias.ok && alias.value.version).toBe('v43');
    const rollbacks = fx.bot.sqlite.db.prepare("SELECT count(*) FROM registry_history WHERE model = 'fraud-scorer' AND kind = 'rollback'").pluck().get();
    expect(rollbacks).toBe(0);

    const said = everything(CHANNEL, msg);
    expect(said).toContain('now serves v43, which nobody approved removing');
    expect(said).toContain('Nothing was rolled back');
    expect(said).toContain(`cc <@${USERS.alice.id}>`);
    expect(said).not.toContain('Verified');
    expect(fx.bot.sqlite.audit.forProposal(p.id).map((e) => e.action)).toContain('execution.superseded');

    // A fresh proposal can be raised from the new state.
    await fx.slack.command(USERS.carol, CHANNEL, 'rollback fraud-scorer v43 is bad too');
    const fresh = await fx.emu.waitFor(() => fx.bot.sqlite.proposals.liveFor('fraud-scorer'), 5000, 'fresh proposal');
    expect(fresh.fromVersion).toBe('v43');
  });

  it('says not recovered, with the read-back, when the target acknowledges but keeps serving the old version', async () => {
    expect((await fx.postAlerts(alert('ranking-api', 'e0e0e0e0e0e0e0e0'))).status).toBe(200);
    const msg = await proposalFor(WEBHOOK_CHANNEL, 'ranking-api');
    expect(msg.text).toContain('r2 → r1');
    await fx.slack.click(USERS.alice, WEBHOOK_CHANNEL, msg, ACTION_APPROVE);
    const p = await fx.emu.waitFor(() => fx.bot.sqlite.proposals.recent('ranking-api', 1).find((x) => x.state === 'not_recovered'), 8000, 'not recovered');
    await fx.bot.settled();

    expect(deploySystem.rollbackRequests).toBe(1);
    expect(p.readBack).toMatchObject({ status: 'mismatch', version: 'r2' });
    const said = everything(WEBHOOK_CHANNEL, msg);
    expect(said).toContain('Not recovered: the target still reports r2, not r1');
    expect(said).toContain('versions endpoint reports r2');
    expect(said).not.toContain('Verified');
  });
});
