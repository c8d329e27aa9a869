/**
 * Start-up fails closed: the real `src/main.ts`, started as an operator starts it, refuses to run
 * when a secret the policy names is missing, instead of dropping the first proposal silently.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';

const POLICY = `
services:
  ranking-api:
    match: { service: ranking-api }
    channel: C0RANKING
    approvers: { users: [U0ALICE] }
    adapter: { kind: http-webhook, url: "http://127.0.0.1:9/rollback", secretEnv: RANKING_ROLLBACK_SECRET }
    slis:
      - { name: ndcg, source: static, values: { r1: 0.7, r2: 0.5 }, comparator: lt, threshold: 0.6 }
`;

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-startup-'));
  const policy = join(dir, 'backstop.yaml');
  writeFileSync(policy, POLICY);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir,
      SLACK_BOT_TOKEN: 'xoxb-startup-test', SLACK_SIGNING_SECRET: 'startup-signing-secret-0123', SLACK_API_URL: 'http://127.0.0.1:9/api/',
      BACKSTOP_CONFIG: policy, BACKSTOP_DB: join(dir, 'backstop.db'), BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY,
      ALERTMANAGER_TOKEN: 'startup-alertmanager-token-0123', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('start-up fails closed', () => {
  it('exits non-zero naming the service, the policy field and the missing variable', async () => {
    const r = await start({});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('services.ranking-api.adapter.secretEnv');
    expect(r.stderr).toContain('RANKING_ROLLBACK_SECRET');
    expect(r.stderr).toContain('service ranking-api');
    // One clear message, not a stack trace.
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});
