/**
 * The quick start works every time: a second `npm start` on the same database gets a fresh demo
 * (fraud-scorer serving the bad v42 again), not "no known-good version".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandbox } from '../../src/sandbox/start-sandbox.js';

async function demo(dbFile: string, postmortemDir: string): Promise<string[]> {
  const env = parseEnv({ PORT: '0', BACKSTOP_DB: dbFile });
  const policy = loadPolicyFile('manifests/policy.sandbox.yaml');
  if (!env.ok || !policy.ok) throw new Error('setup');
  const s = await startSandbox({ env: env.env, policy: { ...policy.policy, postmortemDir, defaults: { ...policy.policy.defaults, settle: 0 } }, log: createLogger({ level: 'silent' }) });
  try {
    const api = (path: string, body: unknown) => fetch(`${s.bot.url}/sandbox/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await api('alert', { status: 'firing' })).status).toBe(200);
    const msg = await s.emulator.waitFor(() => s.emulator.messages('C0SANDBOX', { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 10_000, 'proposal');
    const actions = (msg.blocks as { type: string; block_id?: string }[]).find((b) => b.type === 'actions')!;
    for (const user of ['U0ALICE', 'U0BOB']) await api('click', { user, channel: 'C0SANDBOX', messageTs: msg.ts, actionId: 'backstop_approve', blockId: actions.block_id });
    await s.emulator.waitFor(() => s.emulator.thread('C0SANDBOX', msg.ts).some((m) => m.text.includes('Verified')) || undefined, 20_000, 'verified');
    return [msg.text, ...s.emulator.thread('C0SANDBOX', msg.ts).map((m) => m.text)];
  } finally {
    await s.stop();
  }
}

describe('sandbox started twice on one database', () => {
  it('runs the whole demo both times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-sbx2-'));
    const db = join(dir, 'backstop.db');
    for (let run = 1; run <= 2; run++) {
      const said = await demo(db, join(dir, 'postmortems'));
      expect(said[0], `run ${run}`).toContain('v42 → v41');
      expect(said.join('\n'), `run ${run}`).toContain('Verified: fraud-scorer on v41');
      expect(said.join('\n')).not.toContain('No known-good version');
    }
  }, 90_000);
});
