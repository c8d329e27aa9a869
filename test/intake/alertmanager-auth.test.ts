/**
 * Alertmanager intake fails closed: with no ALERTMANAGER_TOKEN it refuses every delivery,
 * since a forged alert can start a rollback, unless the operator opens it on purpose with
 * ALERTMANAGER_AUTH=none. The sandbox needs no setup: it makes a token and its demo alert sends it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { SANDBOX_CHANNEL, startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox.js';
import { alertmanagerFiring } from '../reliability/endpoints.js';
import { AM_TOKEN, CHANNEL, startFixture, type Fixture } from '../support/bot-fixture.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

async function fixture(env: Record<string, string>, logLines?: string[]): Promise<Fixture> {
  const logger = logLines && createLogger({ level: 'info', destination: new Writable({ write(c, _e, cb) { logLines.push(String(c)); cb(); } }) });
  const fx = await startFixture({ env, logger });
  running.push({ stop: async () => { await fx.bot.settled(); await fx.stop(); } });
  return fx;
}

describe('Alertmanager intake without ALERTMANAGER_TOKEN', () => {
  it('refuses deliveries with 401, names the fix, and stores nothing', async () => {
    const fx = await fixture({ ALERTMANAGER_TOKEN: '' });
    const before = fx.rows();
    for (const token of [null, AM_TOKEN, 'any-token-at-all-0123456789']) {
      const res = await fx.postAlerts(alertmanagerFiring(), token);
      expect(res.status).toBe(401);
      const body = await res.json() as { error: string; message: string };
      expect(body.error).toBe('unauthorized');
      expect(body.message).toContain('ALERTMANAGER_TOKEN');
      expect(body.message).toContain('ALERTMANAGER_AUTH=none');
    }
    await fx.bot.settled();
    expect(fx.rows()).toEqual(before);
    expect(fx.emu.messages(CHANNEL.id)).toEqual([]);
  });

  it('accepts unauthenticated deliveries with ALERTMANAGER_AUTH=none, and warns at start-up', async () => {
    const logLines: string[] = [];
    const fx = await fixture({ ALERTMANAGER_TOKEN: '', ALERTMANAGER_AUTH: 'none' }, logLines);
    const warnings = logLines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.map((w) => w.msg)).toEqual(expect.arrayContaining([expect.stringContaining('Alertmanager intake is unauthenticated (ALERTMANAGER_AUTH=none)')]));
    const res = await fx.postAlerts(alertmanagerFiring(), null);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
    await fx.emu.waitFor(() => fx.emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 5_000, 'proposal');
  });

  it('refuses to start with both ALERTMANAGER_AUTH=none and a token, or an unknown mode', () => {
    const both = parseEnv({ ALERTMANAGER_AUTH: 'none', ALERTMANAGER_TOKEN: AM_TOKEN });
    expect(both.ok).toBe(false);
    if (!both.ok) expect(both.problems).toEqual([expect.objectContaining({ path: 'ALERTMANAGER_AUTH', message: expect.stringContaining('unset one of them') })]);
    const unknown = parseEnv({ ALERTMANAGER_AUTH: 'off' });
    expect(unknown.ok).toBe(false);
    const defaults = parseEnv({});
    expect(defaults.ok && defaults.env.ALERTMANAGER_AUTH).toBe('token');
  });
});

describe('the sandbox with no token configured', () => {
  async function sandbox(): Promise<Sandbox> {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-sandbox-auth-'));
    const loaded = loadPolicyFile(fileURLToPath(new URL('../../manifests/policy.sandbox.yaml', import.meta.url)));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const policy = { ...loaded.policy, postmortemDir: join(dir, 'postmortems'), defaults: { ...loaded.policy.defaults, settle: 0 } };
    const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: join(dir, 'backstop.db') });
    if (!env.ok) throw new Error(JSON.stringify(env.problems));
    const s = await startSandbox({ env: env.env, policy, log: createLogger({ level: 'silent' }) });
    running.push({ stop: async () => { await s.bot.settled(); await s.stop(); } });
    return s;
  }

  it('fires the demo alert from the console, while its intake still refuses strangers', async () => {
    const s = await sandbox();
    expect(s.generatedAlertmanagerToken).toMatch(/^[0-9a-f]{32}$/);
    const fired = await fetch(`${s.consoleUrl}/api/alert`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'firing' }) });
    expect(fired.status).toBe(200);
    expect(await fired.json()).toMatchObject({ status: 200, body: { ok: true } });
    await s.emulator.waitFor(() => s.emulator.messages(SANDBOX_CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 10_000, 'proposal from the demo alert');

    const stranger = await fetch(`${s.bot.url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alertmanagerFiring()) });
    expect(stranger.status).toBe(401);
    const withToken = await fetch(`${s.bot.url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.generatedAlertmanagerToken}` }, body: JSON.stringify(alertmanagerFiring()) });
    expect(withToken.status).toBe(200);
  });
});
