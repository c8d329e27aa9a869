/**
 * Two Backstop processes on one PostgreSQL, behind one Slack app and one Alertmanager HA pair:
 * an alert delivered to both makes one proposal, and a hundred approve clicks split across both
 * replicas (with Slack's retries sent to the other one) execute the rollback exactly once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackEmulator } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { WebhookTarget } from '../adapters/webhook-target.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { AM_TOKEN, BOT_TOKEN, SIGNING_SECRET, startEmulator, USERS } from '../support/bot-fixture.js';
import { stopChild, track } from '../support/children.js';
import { freePort } from '../support/net.js';
import { PostgresServer } from '../support/postgres.js';
import { SlackDriver } from '../support/slack-driver.js';
import { until } from '../support/until.js';

const SECRET = 'whsec-two-replicas-0123456789';
const CHANNEL = { id: 'C0REPLICAS', name: 'replicas' };

let pg: PostgresServer;
let schema: string;
let databaseUrl: string;
let emu: SlackEmulator;
let target: WebhookTarget;
const bots: { url: string; child: ChildProcess }[] = [];

function policy(dir: string): string {
  return `
defaults: { settle: 0s, proposalTtl: 30m, executeAttempts: 3, executeBackoff: 10ms, readBackTimeout: 2s, readBackInterval: 100ms }
postmortemDir: ${join(dir, 'postmortems')}
services:
  ranking-api:
    match: { service: ranking-api }
    channel: ${CHANNEL.id}
    critical: true
    approvers: { users: [${USERS.alice.id}, ${USERS.bob.id}, ${USERS.carol.id}] }
    adapter: { kind: http-webhook, url: "${target.url}", versionsUrl: "${target.versionsUrl}", secretEnv: RANKING_ROLLBACK_SECRET, timeout: 5s }
    slis:
      - { name: ndcg, source: static, values: { r1: 0.7, r2: 0.5 }, comparator: lt, threshold: 0.6 }
`;
}

async function ready(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`replica exited during start-up (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('replica never became ready');
}

beforeAll(async () => {
  pg = await PostgresServer.start();
  const fresh = await pg.freshSchema();
  schema = fresh.schema;
  databaseUrl = fresh.url;
  emu = await startEmulator();
  emu.addChannel({ id: CHANNEL.id, name: CHANNEL.name, members: Object.values(USERS).map((u) => u.id) });
  target = await new WebhookTarget(SECRET, new Set(['r1', 'r2']), { current: 'r2', lastGood: 'r1' }).start();
  const dir = mkdtempSync(join(tmpdir(), 'backstop-replicas-'));
  const config = join(dir, 'backstop.yaml');
  writeFileSync(config, policy(dir));
  for (const name of ['a', 'b']) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = track(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env, LOG_LEVEL: 'warn', SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: emu.url,
        PORT: String(port), HOST: '127.0.0.1', BACKSTOP_DB: join(dir, `replica-${name}.db`), BACKSTOP_DATABASE_URL: databaseUrl,
        BACKSTOP_CONFIG: config, ALERTMANAGER_TOKEN: AM_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY, RANKING_ROLLBACK_SECRET: SECRET,
        BACKSTOP_LEASE_TTL: '3s',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }));
    bots.push({ url, child });
  }
  await Promise.all(bots.map((b) => ready(b.url, b.child)));
}, 90_000);

afterAll(async () => {
  await Promise.all(bots.map((b) => stopChild(b.child)));
  await target?.close();
  await emu?.stop();
  await pg?.stop();
});

function delivery() {
  const labels = { alertname: 'NdcgDrop', service: 'ranking-api', severity: 'critical' };
  return JSON.stringify({
    receiver: 'backstop', status: 'firing', version: '4', groupKey: '{}:{service="ranking-api"}', truncatedAlerts: 0, groupLabels: {}, commonLabels: labels, commonAnnotations: {}, externalURL: '',
    alerts: [{ status: 'firing', labels, annotations: { summary: 'ranking-api ndcg below 0.6' }, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'abcdefabcdef0001' }],
  });
}


const proposals = async () => (await pg.query(`SELECT id, state FROM ${schema}.proposals`)).rows as { id: string; state: string }[];

describe('two replicas on one PostgreSQL', () => {
  it('has exactly one leader, and says which in /readyz and /metrics', async () => {
    const ready = await Promise.all(bots.map(async (b) => (await (await fetch(`${b.url}/readyz`)).json()) as { ok: boolean; checks: { leadership: string } }));
    expect(ready.every((r) => r.ok)).toBe(true);
    expect(ready.filter((r) => r.checks.leadership.includes('leading'))).toHaveLength(1);
    expect(ready.filter((r) => r.checks.leadership.includes('follower'))).toHaveLength(1);
    const leading = await Promise.all(bots.map(async (b) => /backstop_leader\{replica="[^"]+"\} 1/.test(await (await fetch(`${b.url}/metrics`)).text())));
    expect(leading.filter(Boolean)).toHaveLength(1);
  });

  it('makes one proposal from an alert the Alertmanager HA pair delivers to both replicas at once', async () => {
    const answers = await Promise.all(bots.map((b) => fetch(`${b.url}/alerts/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${AM_TOKEN}`, 'content-type': 'application/json' }, body: delivery() })));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const msg = await emu.waitFor(() => emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal for ranking-api')), 15_000, 'the proposal');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await proposals()).toHaveLength(1);
    expect(emu.messages(CHANNEL.id, { topLevel: true }).filter((m) => m.text.startsWith('Rollback proposal for ranking-api'))).toHaveLength(1);
    expect(((await pg.query(`SELECT count(*)::int AS n FROM ${schema}.incidents`)).rows[0] as { n: number }).n).toBe(1);
    expect(msg.text).toContain('r2 → r1');
  }, 30_000);

  it('executes the rollback once for 100 concurrent clicks split across both replicas, Slack retries landing on the other', async () => {
    const msg = emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal for ranking-api'))!;
    const approvers = [USERS.alice, USERS.bob, USERS.carol];
    const clicks: Promise<Response>[] = [];
    for (let i = 0; i < 100; i++) {
      const driver = new SlackDriver(emu, bots[i % 2]!.url, SIGNING_SECRET);
      const user = approvers[i % 3]!;
      const body = driver.clickBody(user, CHANNEL, msg, ACTION_APPROVE);
      clicks.push(driver.post(body));
      // Slack retries a click whose ack it did not see: the same payload, freshly signed, to the other replica.
      if (i % 10 === 0) clicks.push(new SlackDriver(emu, bots[(i + 1) % 2]!.url, SIGNING_SECRET).post(body, { retryNum: 1, ts: Math.floor(Date.now() / 1000) + 1 }));
    }
    const statuses = (await Promise.all(clicks)).map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(100);
    await until(async () => (await proposals()).some((p) => p.state === 'verified'), 20_000, 'verified');
    await new Promise((r) => setTimeout(r, 1500));
    expect(target.rollbackRequests).toHaveLength(1);
    expect(target.moves).toBe(1);
    expect((await proposals()).map((p) => p.state)).toEqual(['verified']);
    // The leader alone sends the thread, paced as Slack asks (about one message a second).
    await emu.waitFor(() => emu.thread(CHANNEL.id, msg.ts).some((m) => m.text.includes('Verified')) || undefined, 30_000, 'Verified in the thread');
    await new Promise((r) => setTimeout(r, 1500));
    const thread = emu.thread(CHANNEL.id, msg.ts).map((m) => m.text);
    expect(thread.filter((t) => t.includes('Verified'))).toHaveLength(1);
    expect(thread.filter((t) => t.includes('Executing rollback'))).toHaveLength(1);
  }, 90_000);

  it('audit verify checks the shared chain in PostgreSQL, and catches an edited row', async () => {
    const cli = (): { status: number | null; stdout: string; stderr: string } => spawnSync(process.execPath, ['bin/backstop.js', 'audit', 'verify'], {
      encoding: 'utf8', timeout: 30_000,
      env: { ...process.env, BACKSTOP_DATABASE_URL: databaseUrl, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY, BACKSTOP_AUDIT_HEAD: '' },
    });
    const good = cli();
    expect(good.stderr).not.toContain('BROKEN');
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/audit chain ok: \d+ row\(s\) verified in PostgreSQL/);
    await pg.query(`UPDATE ${schema}.audit SET actor = 'U0MALLORY' WHERE seq = (SELECT min(seq) FROM ${schema}.audit WHERE action = 'proposal.approved_by')`);
    const bad = cli();
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('audit chain BROKEN');
  }, 60_000);
});
