/**
 * The bot runs as a child process and is killed (SIGKILL) at each step of a rollback. After a
 * restart it must reconcile from SQLite: finish or hand over what was in flight, never execute
 * twice, never forget a step, and keep an audit chain that verifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/ports/checkpoint.js';
import type { SlackEmulator } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { defaultHeadFile, readHeadFile } from '../../src/store/audit-anchor.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { openDb } from '../../src/store/db.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { AM_TOKEN, BOT_TOKEN, CHANNEL, policyYaml, seedRegistry, SIGNING_SECRET, startEmulator, USERS } from '../support/bot-fixture.js';
import { stopAllChildren, stopChild, trackForTest } from '../support/children.js';
import { freePort } from '../support/net.js';
import { isIncidentHeader } from '../support/messages.js';
import { SlackDriver } from '../support/slack-driver.js';
import { alertmanagerFiring } from './endpoints.js';

let emu: SlackEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await stopAllChildren();
  await emu?.stop();
});

/** A bot child, stopped when the test finishes whatever happens to it (SIGTERM, then SIGKILL after 5 s). */
function startBot(env: Record<string, string>): ChildProcess {
  return trackForTest(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] }));
}

async function ready(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('bot exited during start-up');
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('bot did not become ready');
}

/** The audit rows a step's message reports, from its context (`audit #12 · …`, or `audit #5, #6, #7` for steps folded into one message). */
const auditSeqs = (blocks: unknown): string[] => {
  const token = /audit ((?:#\d+(?:, )?)+)/.exec(JSON.stringify(blocks ?? []))?.[1] ?? '';
  return [...token.matchAll(/#(\d+)/g)].map((m) => m[1]!);
};

const died = (child: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
  else child.once('exit', (_code, signal) => resolve(signal));
});

describe.each<[Checkpoint, string]>([
  ['approved', 'verified'],
  ['executing', 'failed'],
  ['executed-unrecorded', 'verified'],
  ['verifying', 'verified'],
  ['posting', 'verified'],
])('killed at "%s"', (checkpoint, finalState) => {
  it(`restarts into a consistent state: ${finalState}, executed at most once, chain intact`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `backstop-crash-${checkpoint}-`));
    const dbFile = join(dir, 'backstop.db');
    const config = join(dir, 'backstop.yaml');
    // A channel per scenario keeps their messages apart in the shared emulator.
    const channel = { id: `C0${checkpoint.replace(/[^a-z]/g, '').toUpperCase().slice(0, 8)}`, name: `crash-${checkpoint}` };
    emu.addChannel({ id: channel.id, name: channel.name, members: Object.values(USERS).map((u) => u.id) });
    // A short read-back window: an execution cut off before the adapter moved anything is read back over it, then failed.
    writeFileSync(config, policyYaml(dir).replace(`channel: ${CHANNEL.id}`, `channel: ${channel.id}\n    readBackTimeout: 2s\n    readBackInterval: 200ms`));
    seedRegistry(dbFile);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: emu.url, PORT: String(port), HOST: '127.0.0.1',
      BACKSTOP_DB: dbFile, BACKSTOP_CONFIG: config, ALERTMANAGER_TOKEN: AM_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY,
    };

    const first = startBot({ ...env, BACKSTOP_TEST_KILL_AT: checkpoint });
    const exit = died(first);
    await ready(url, first);
    let second: ChildProcess | undefined;
    // Each step goes to whichever process is alive: once the first is killed, a restarted bot
    // takes over, and steps it may have missed are simply sent again (they are idempotent).
    const step = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (first.signalCode !== null && !second) {
          second = startBot(env);
          await ready(url, second);
        }
        try {
          return await fn();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error('step failed twice');
    };
    const slack = new SlackDriver(emu, url, SIGNING_SECRET);
    const post = () => fetch(`${url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` }, body: JSON.stringify(alertmanagerFiring()) }).then((r) => {
      if (r.status !== 200) throw new Error(`intake answered ${r.status}`);
    });
    const findProposal = () => emu.messages(channel.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal'));
    await step(post);
    // Killed at its first post (the incident header), the first bot never posts the proposal: the restarted one does.
    const msg = await step(async () => findProposal() ?? (await Promise.race([emu.waitFor(findProposal, 10_000, 'proposal'), ...(second ? [] : [exit.then((): never => { throw new Error('killed'); })])])));
    await step(() => slack.click(USERS.alice, channel, msg, ACTION_APPROVE));
    await step(() => emu.waitFor(() => JSON.stringify(emu.messages(channel.id).find((m) => m.ts === msg.ts)?.blocks ?? '').includes('1/2') || undefined, 10_000, 'first approval shown'));
    await step(() => slack.click(USERS.bob, channel, msg, ACTION_APPROVE));
    expect(await exit).toBe('SIGKILL');
    if (!second) {
      second = startBot(env);
      await ready(url, second);
    }
    try {
      const db = openDb(dbFile);
      try {
        const state = () => db.prepare("SELECT state FROM proposals WHERE service = 'fraud-scorer'").pluck().get() as string;
        await emu.waitFor(() => state() === finalState, 15_000, `proposal ${finalState}`);
        const rollbacks = db.prepare("SELECT count(*) FROM registry_history WHERE kind = 'rollback'").pluck().get();
        expect(rollbacks).toBe(finalState === 'failed' ? 0 : 1);
        const alias = db.prepare("SELECT version FROM registry_aliases WHERE model = 'fraud-scorer' AND alias = 'production'").pluck().get();
        expect(alias).toBe(finalState === 'failed' ? 'v42' : 'v41');
        const actions = db.prepare('SELECT action FROM audit ORDER BY seq').pluck().all() as string[];
        expect(actions.filter((a) => a === 'execution.started')).toHaveLength(1);
        expect(actions.filter((a) => a === 'execution.succeeded' || a === 'execution.failed')).toHaveLength(1);
        const head = readHeadFile(defaultHeadFile(dbFile));
        expect(head.ok && new AuditLog(db, { key: TEST_AUDIT_KEY }).verify({ anchor: head.head })).toMatchObject({ ok: true });
        // Nothing is forgotten: every queued Slack message goes out after the restart.
        await emu.waitFor(() => (db.prepare('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck().get() as number) === 0, 15_000, 'outbox drained');
        const thread = emu.thread(channel.id, msg.ts).map((m) => m.text).join('\n');
        expect(thread).toContain(finalState === 'failed' ? 'restarted during execution' : 'Verified');
        // Exactly once, in order: the thread holds each step of the proposal (an audit row with a
        // fact) once, in the order of the trail, even a step Slack took just before the kill.
        const proposalId = db.prepare("SELECT id FROM proposals WHERE service = 'fraud-scorer'").pluck().get() as string;
        const facts = (db.prepare('SELECT seq, details FROM audit WHERE proposal_id = ? ORDER BY seq').all(proposalId) as { seq: number; details: string }[])
          .filter((r) => (JSON.parse(r.details) as { fact?: unknown }).fact).map((r) => String(r.seq));
        expect(emu.thread(channel.id, msg.ts).slice(1).flatMap((m) => auditSeqs(m.blocks))).toEqual(facts);
        // The proposal's own message once (its ts recorded), and each top-level step once.
        const topLevel = emu.messages(channel.id, { topLevel: true });
        expect(topLevel.filter((m) => m.text.startsWith('Rollback proposal'))).toHaveLength(1);
        // The incident header once too (the first post: the one a kill at "posting" cuts off), and first.
        expect(topLevel.filter(isIncidentHeader)).toHaveLength(1);
        expect(isIncidentHeader(topLevel[0]!)).toBe(true);
        expect(db.prepare('SELECT header_ts FROM incidents').pluck().get()).toBe(topLevel[0]!.ts);
        expect(db.prepare('SELECT message_ts FROM proposals WHERE id = ?').pluck().get(proposalId)).toBe(msg.ts);
        const topSteps = topLevel.flatMap((m) => auditSeqs(m.blocks));
        expect(new Set(topSteps).size).toBe(topSteps.length);
      } finally {
        db.close();
      }
    } finally {
      await stopChild(second);
    }
  }, 60_000);
});
