/**
 * The sandbox is the production bot, composed the same way: `npm start` without a workspace serves
 * /metrics and runs `/backstop drill <scenario>` like a real deployment does.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { isLoopback } from '../../src/sandbox/console-server.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox.js';

let sandbox: Sandbox;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-sbx-'));
  // No HOST: the sandbox must choose loopback by itself.
  const env = parseEnv({ PORT: '0', BACKSTOP_DB: join(dir, 'backstop.db') });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  const policy = loadPolicyFile('manifests/policy.sandbox.yaml');
  if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
  sandbox = await startSandbox({ env: env.env, policy: { ...policy.policy, postmortemDir: join(dir, 'postmortems') }, log: createLogger({ level: 'silent' }) });
});
afterAll(() => sandbox?.stop());

describe('the sandbox stays on this machine', () => {
  it('listens on loopback unless HOST says otherwise', () => {
    expect((sandbox.bot.server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers its console API only from loopback addresses', () => {
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.1.2.3']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.5', '192.168.1.20', '::ffff:10.1.1.1', '2001:db8::1', undefined]) expect(isLoopback(a)).toBe(false);
  });
});

describe('the console page', () => {
  it('serves every ES module the page imports as JavaScript, and nothing outside its folder', async () => {
    const folder = new URL('../../src/sandbox/console/', import.meta.url);
    const modules = readdirSync(folder).filter((f) => f.endsWith('.js'));
    expect(modules).toEqual(expect.arrayContaining(['console.js', 'block-kit-render.js', 'slack-date.js', 'files-render.js']));
    for (const name of modules) {
      const res = await fetch(`${sandbox.bot.url}/sandbox/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toBe('text/javascript; charset=utf-8');
      // Every relative import names a module the console serves.
      for (const m of readFileSync(new URL(name, folder), 'utf8').matchAll(/from '\.\/([^']+)'/g)) expect(modules, `${name} imports ${m[1]}`).toContain(m[1]);
    }
    expect((await fetch(`${sandbox.bot.url}/sandbox/console.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/sandbox/..%2Fstart-sandbox.ts', '/sandbox/../console-server.ts', '/sandbox/console/console.js', '/sandbox/missing.js']) {
      expect((await fetch(`${sandbox.bot.url}${path}`)).status, path).toBe(404);
    }
  });
});

describe('the sandbox is composed like production', () => {
  it('serves /metrics in the Prometheus text format', async () => {
    const res = await fetch(`${sandbox.bot.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE backstop_rollbacks_total counter');
    expect(text).toContain('backstop_process_resident_memory_bytes');
  });

  it('runs /backstop drill <scenario> from the composer and reports in the channel', async () => {
    const res = await fetch(`${sandbox.bot.url}/sandbox/api/command`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0ALICE', channel: 'C0SANDBOX', text: '/backstop drill model-accuracy-drop' }),
    });
    expect(res.status).toBe(200);
    const posted = await sandbox.emulator.waitFor(
      () => sandbox.emulator.messages('C0SANDBOX').find((m) => /DRILL/.test(m.text) && /model-accuracy-drop|Model accuracy/i.test(m.text) && /passed|failed|report/i.test(m.text)),
      60_000, 'drill report in the sandbox channel');
    expect(posted.text).toContain('DRILL');
  }, 90_000);
});
