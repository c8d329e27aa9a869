/**
 * The sandbox has no BACKSTOP_AUDIT_KEY: it makes one beside its database on first start,
 * reuses it after, and `npx backstop audit verify` finds it there.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox.js';
import { defaultHeadFile } from '../../src/store/audit-anchor.js';
import { sandboxKeyFile } from '../../src/store/audit-key.js';
import { backstop } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'backstop-sandbox-audit-'));
const dbFile = join(dir, 'backstop.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let running: Sandbox | undefined;
afterEach(async () => {
  await running?.bot.settled();
  await running?.stop();
  running = undefined;
});

async function start(): Promise<Sandbox> {
  const loaded = loadPolicyFile(fileURLToPath(new URL('../../manifests/policy.sandbox.yaml', import.meta.url)));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: dbFile });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  running = await startSandbox({ env: env.env, policy: { ...loaded.policy, postmortemDir: join(dir, 'postmortems') }, log: createLogger({ level: 'silent' }) });
  return running;
}

describe('sandbox audit key', () => {
  it('is made once beside the database, readable by its owner only, and reused after a restart', async () => {
    const s = await start();
    const fired = await fetch(`${s.consoleUrl}/api/alert`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'firing' }) });
    expect(fired.status).toBe(200);
    await s.bot.settled();
    const key = readFileSync(sandboxKeyFile(dbFile), 'utf8');
    expect(key.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(sandboxKeyFile(dbFile)).mode & 0o777).toBe(0o600);
    await s.stop();
    running = undefined;

    await start();
    expect(readFileSync(sandboxKeyFile(dbFile), 'utf8')).toBe(key);
  });

  it('lets `npx backstop audit verify` check the sandbox chain and anchor without BACKSTOP_AUDIT_KEY', () => {
    const r = backstop(['audit', 'verify'], { BACKSTOP_DB: dbFile });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/audit chain ok: [1-9]\d* row\(s\) verified/);
    expect(r.out).toContain(`matches ${defaultHeadFile(dbFile)}`);
  });
});
