/**
 * Failover between two replicas on one PostgreSQL. The leader is SIGKILLed at a point of a rollback
 * and the other replica takes over within the lease TTL, reconciles as a restart does, and the
 * rollback runs at most once with every step in the thread once and the audit chain intact. A
 * leader paused (SIGSTOP) past its TTL wakes as a follower and does no timed work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';
import { verifyPostgresAudit } from '../../src/adapters/postgres/audit-verify.js';
import type { Checkpoint } from '../../src/ports/checkpoint.js';
import type { SlackEmulator, SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { WebhookTarget } from '../adapters/webhook-target.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { AM_TOKEN, BOT_TOKEN, SIGNING_SECRET, startEmulator, USERS } from '../support/bot-fixture.js';
import { stopChild, track } from '../support/children.js';
import { freePort } from '../support/net.js';
import { PostgresServer } from '../support/postgres.js';
import { SlackDriver } from '../support/slack-driver.js';
import { until } from '../support/until.js';

const SECRET = 'whsec-failover-0123456789';
const TTL_MS = 3000;

let pg: PostgresServer;
let emu: SlackEmulator;
beforeAll(async () => {
  pg = await PostgresServer.start();
  emu = await startEmulator();
}, 60_000);
afterAll(async () => {
  await emu?.stop();
  await pg?.stop();
});

interface Replica { url: string; child: ChildProcess }
let running: Replica[] = [];
let target: WebhookTarget | undefined;
afterEach(async () => {
  for (const r of running) if (r.child.signalCode === null && r.child.exitCode === null) r.child.kill('SIGCONT');
  await Promise.all(running.map((r) => stopChild(r.child)));
  running = [];
  await target?.close();
});


async function leadership(r: Replica): Promise<string | undefined> {
  const res = await fetch(`${r.url}/readyz`);
  return ((await res.json()) as { checks?: { leadership?: string } }).checks?.leadership;
}

/** A schema, a webhook target serving r2 (r1 good) and a policy; replicas started one after the other. */
async function cluster(channel: { id: string; name: string }) {
  const { schema, url: databaseUrl } = await pg.freshSchema();
  target = await new WebhookTarget(SECRET, new Set(['r1', 'r2']), { current: 'r2', lastGood: 'r1' }).start();
  emu.addChannel({ id: channel.id, name: channel.name, members: Object.values(USERS).map((u) => u.id) });
  const dir = mkdtempSync(join(tmpdir(), 'backstop-failover-'));
  const config = join(dir, 'backstop.yaml');
  writeFileSync(config, `
defaults: { settle: 0s, proposalTtl: 30m, executeAttempts: 3, executeBackoff: 10ms, readBackTimeout: 2s, readBackInterval: 100ms }
postmortemDir: ${join(dir, 'postmortems')}
services:
  ranking-api:
    match: { service: ranking-api }
    channel: ${channel.id}
    approvers: { users: [${USERS.alice.id}, ${USERS.bob.id}] }
    adapter: { kind: http-webhook, url: "${target.url}", versionsUrl: "${target.versionsUrl}", secretEnv: RANKING_ROLLBACK_SECRET, timeout: 5s }
    slis:
      - { name: ndcg, source: static, values: { r1: 0.7, r2: 0.5 }, comparator: lt, threshold: 0.6 }
`);
  const start = async (name: string, extra: Record<string, string> = {}): Promise<Replica> => {
    const port = await freePort();
    const child = track(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env, LOG_LEVEL: 'warn', SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: emu.url,
        PORT: String(port), HOST: '127.0.0.1', BACKSTOP_DB: join(dir, `replica-${name}.db`), BACKSTOP_DATABASE_URL: databaseUrl,
        BACKSTOP_CONFIG: config, ALERTMANAGER_TOKEN: AM_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY, RANKING_ROLLBACK_SECRET: SECRET,
        BACKSTOP_LEASE_TTL: `${TTL_MS}ms`, ...extra,
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    }));
    const r = { url: `http://127.0.0.1:${port}`, child };
    running.push(r);
    await until(async () => (await fetch(`${r.url}/readyz`)).ok, 60_000, `replica ${name} ready`);
    return r;
  };
  const rows = async (sql: string) => (await pg.query(sql.replaceAll('$schema', schema))).rows as Record<string, unknown>[];
  return { databaseUrl, start, rows };
}

function alert(fingerprint: string) {
  const labels = { alertname: 'NdcgDrop', service: 'ranking-api', severity: 'critical' };
  return JSON.stringify({
    receiver: 'backstop', status: 'firing', version: '4', groupKey: '{}:{service="ranking-api"}', truncatedAlerts: 0, groupLabels: {}, commonLabels: labels, commonAnnotations: {}, externalURL: '',
    alerts: [{ status: 'firing', labels, annotations: { summary: 'ranking-api ndcg below 0.6' }, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint }],
  });
}

const post = (r: Replica, body: string) => fetch(`${r.url}/alerts/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${AM_TOKEN}`, 'content-type': 'application/json' }, body });

describe('failover between replicas', () => {
  it.each<[Checkpoint, string]>([
    ['approved', 'verified'],
    ['executed-unrecorded', 'verified'],
    // Killed while sending: Slack took its first message, the outbox did not hear back.
    ['posting', 'verified'],
  ])('a leader killed at "%s" is replaced within the TTL; the rollback ends %s, run at most once, each step posted once, the chain intact', async (checkpoint, finalState) => {
    const channel = { id: `C0FO${checkpoint.replace(/[^a-z]/g, '').toUpperCase().slice(0, 6)}`, name: `failover-${checkpoint}` };
    const c = await cluster(channel);
    const leader = await c.start('a', { BACKSTOP_TEST_KILL_AT: checkpoint });
    await until(async () => (await leadership(leader))?.includes('leading'), 15_000, 'a leads');
    const follower = await c.start('b');
    expect(await leadership(follower)).toContain('follower');

    expect((await post(leader, alert(`${checkpoint.length.toString(16).padStart(2, '0')}a0b1c2d3e4f5a6`))).status).toBe(200);
    const isProposal = (m: SlackMessage) => m.text.startsWith('Rollback proposal for ranking-api');
    const msg = await emu.waitFor(() => emu.messages(channel.id, { topLevel: true }).find(isProposal), 15_000, 'proposal');
    // At "posting" the leader dies on its first message, before anyone can click; the click goes to b then.
    const killedSending = checkpoint === 'posting';
    if (!killedSending) await new SlackDriver(emu, leader.url, SIGNING_SECRET).click(USERS.alice, channel, msg, ACTION_APPROVE);
    const died = await until(async () => leader.child.signalCode === 'SIGKILL', 15_000, `a killed at ${checkpoint}`);
    expect(died).toBe(true);
    const killedAt = Date.now();

    // The follower takes the lease once the dead leader's lapses: within TTL plus one attempt interval.
    await until(async () => (await leadership(follower))?.includes('leading'), TTL_MS * 3, 'b takes over');
    expect(Date.now() - killedAt).toBeLessThan(TTL_MS + TTL_MS / 3 + 2000);
    if (killedSending) await new SlackDriver(emu, follower.url, SIGNING_SECRET).click(USERS.alice, channel, msg, ACTION_APPROVE);
    const p = await until(async () => (await c.rows(`SELECT id, state FROM $schema.proposals`)).find((x) => x.state === finalState), 30_000, finalState);

    expect(target!.rollbackRequests.length).toBeLessThanOrEqual(1);
    expect(target!.moves).toBe(1);
    // Every step of the proposal reaches the thread once, in the order of the audit trail.
    const facts = (await c.rows(`SELECT seq, details FROM $schema.audit WHERE proposal_id = '${String(p.id)}' ORDER BY seq`))
      .filter((r) => (JSON.parse(String(r.details)) as { fact?: { action: string } }).fact).map((r) => String(r.seq));
    const steps = facts.length;
    // Steps of one second may share a message (`audit #5, #6, #7`): count the rows the messages report.
    const seqsOf = (m: SlackMessage) => [...(/audit ((?:#\d+(?:, )?)+)/.exec(JSON.stringify(m.blocks ?? []))?.[1] ?? '').matchAll(/#(\d+)/g)].map((x) => x[1]!);
    const thread = await emu.waitFor(() => {
      const replies = emu.thread(channel.id, msg.ts).slice(1);
      return replies.flatMap(seqsOf).length >= steps ? replies : undefined;
    }, 30_000, 'every step in the thread');
    await new Promise((r) => setTimeout(r, 1000));
    expect(emu.thread(channel.id, msg.ts).slice(1)).toHaveLength(thread.length);
    expect(new Set(thread.map((m) => m.text)).size).toBe(thread.length);
    expect(thread.filter((m) => m.text.includes('Verified'))).toHaveLength(1);
    // Each step once, in the order of the audit trail (the footer names its row), and the proposal's own message once.
    expect(thread.flatMap(seqsOf)).toEqual(facts);
    expect(emu.messages(channel.id, { topLevel: true }).filter(isProposal)).toHaveLength(1);
    expect((await c.rows(`SELECT message_ts FROM $schema.proposals WHERE id = '${String(p.id)}'`))[0]?.message_ts).toBe(msg.ts);

    const pool = createPostgresPool(c.databaseUrl);
    try {
      expect(await verifyPostgresAudit(pool, TEST_AUDIT_KEY)).toMatchObject({ ok: true });
    } finally {
      await pool.end();
    }
  }, 120_000);

  it('a leader paused past its TTL wakes as a follower and does no timed work', async () => {
    const channel = { id: 'C0FOPAUSE', name: 'failover-pause' };
    const c = await cluster(channel);
    const a = await c.start('a');
    await until(async () => (await leadership(a))?.includes('leading'), 15_000, 'a leads');
    const b = await c.start('b');

    a.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    await until(async () => (await leadership(b))?.includes('leading'), TTL_MS * 3, 'b takes over from the paused leader');
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(TTL_MS - 1000);
    // While a sleeps, b does the work: an alert through b makes a proposal that b posts.
    expect((await post(b, alert('f0f0e1e1d2d2c3c3'))).status).toBe(200);
    const msg = await emu.waitFor(() => emu.messages(channel.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal for ranking-api')), 15_000, 'proposal');

    a.child.kill('SIGCONT');
    await until(async () => (await leadership(a))?.includes('follower'), 10_000, 'a knows it no longer leads');
    expect(await leadership(b)).toContain('leading');
    // Work queued while a slept goes out once: a does not send what b already sent.
    await new SlackDriver(emu, a.url, SIGNING_SECRET).click(USERS.alice, channel, msg, ACTION_APPROVE);
    await emu.waitFor(() => emu.thread(channel.id, msg.ts).some((m) => m.text.includes('Verified')) || undefined, 30_000, 'verified')
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\nthread: ${emu.thread(channel.id, msg.ts).map((m) => m.text).join('\n')}\nephemerals: ${emu.ephemerals(USERS.alice.id).map((e) => e.text).join('\n')}`);
      });
    await new Promise((r) => setTimeout(r, 1500));
    const texts = emu.thread(channel.id, msg.ts).slice(1).map((m) => m.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(emu.messages(channel.id, { topLevel: true }).filter((m) => m.text.startsWith('Rollback proposal for ranking-api'))).toHaveLength(1);
    expect(target!.moves).toBe(1);
    const leading = await Promise.all([a, b].map(async (r) => /backstop_leader\{replica="[^"]+"\} 1/.test(await (await fetch(`${r.url}/metrics`)).text())));
    expect(leading).toEqual([false, true]);
  }, 120_000);
});
