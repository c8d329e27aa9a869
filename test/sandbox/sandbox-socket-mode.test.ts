/**
 * `BACKSTOP_SANDBOX_SOCKET=1 npm start`: the quick start over Socket Mode. The console's clicks
 * reach the bot as envelopes over the emulator's WebSocket; the bot serves no Slack endpoint.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandbox, type Sandbox, SANDBOX_CHANNEL } from '../../src/sandbox/start-sandbox.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';

let sandbox: Sandbox;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-sbx-socket-'));
  const env = parseEnv({ PORT: '0', BACKSTOP_DB: join(dir, 'backstop.db'), BACKSTOP_SANDBOX_SOCKET: '1' });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  const policy = loadPolicyFile('manifests/policy.sandbox.yaml');
  if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
  sandbox = await startSandbox({ env: env.env, policy: { ...policy.policy, postmortemDir: join(dir, 'postmortems') }, log: createLogger({ level: 'silent' }) });
  await sandbox.emulator.waitFor(() => sandbox.emulator.socketConnections === 1, 5000, 'the sandbox bot connected over Socket Mode');
});
afterAll(() => sandbox?.stop());

const consoleApi = (path: string, body: unknown) => fetch(`${sandbox.bot.url}/sandbox/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the sandbox in Socket Mode', () => {
  it('runs the quick start with every click delivered over the socket', async () => {
    const emu = sandbox.emulator;
    expect((await fetch(`${sandbox.bot.url}/slack/events`, { method: 'POST', body: '' })).status).toBe(404);
    expect((await consoleApi('alert', { status: 'firing' })).status).toBe(200);
    const proposal = await emu.waitFor(() => emu.messages(SANDBOX_CHANNEL.id, { topLevel: true }).find((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_APPROVE)), 10_000, 'proposal');
    const click = async (user: string) => {
      const res = await consoleApi('click', { user, channel: SANDBOX_CHANNEL.id, messageTs: proposal.ts, actionId: ACTION_APPROVE });
      expect(((await res.json()) as { status: number }).status).toBe(200);
    };
    await click('U0MALLORY');
    await emu.waitFor(() => emu.ephemerals('U0MALLORY').length === 1, 5000, 'Mallory refused');
    await click('U0ALICE');
    await emu.waitFor(() => JSON.stringify(emu.messages(SANDBOX_CHANNEL.id).find((m) => m.ts === proposal.ts)?.blocks ?? '').includes('1/2'), 5000, 'one approval');
    await click('U0BOB');
    const db = sandbox.bot.sqlite.db;
    await emu.waitFor(() => db.prepare("SELECT state FROM proposals WHERE service = 'fraud-scorer' ORDER BY created_at DESC LIMIT 1").pluck().get() === 'verified', 10_000, 'verified');
    const sent = emu.socketEvents.filter((e) => e.kind === 'sent');
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(emu.socketEvents.filter((e) => e.kind === 'acked')).toHaveLength(sent.length);
  });
});
