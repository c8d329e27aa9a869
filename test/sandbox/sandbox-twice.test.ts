/**
 * The quick start works every time: a second `npm start` on the same database gets a fresh demo
 * (fraud-scorer serving the bad v42 again, the last run's open incident closed), not "no
 * known-good version" nor a proposal left pending by the last run blocking the new one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandbox } from '../../src/sandbox/start-sandbox.js';
import { openDb } from '../../src/store/db.js';

/** Fires the demo alert; with `approve`, approves as Alice and Bob until Verified, else leaves the proposal pending. */
async function demo(dbFile: string, postmortemDir: string, approve: boolean): Promise<string[]> {
  const env = parseEnv({ PORT: '0', BACKSTOP_DB: dbFile });
  const policy = loadPolicyFile('manifests/policy.sandbox.yaml');
  if (!env.ok || !policy.ok) throw new Error('setup');
  const s = await startSandbox({ env: env.env, policy: { ...policy.policy, postmortemDir, defaults: { ...policy.policy.defaults, settle: 0 } }, log: createLogger({ level: 'silent' }) });
  try {
    const api = (path: string, body: unknown) => fetch(`${s.bot.url}/sandbox/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await api('alert', { status: 'firing' })).status).toBe(200);
    const msg = await s.emulator.waitFor(() => s.emulator.messages('C0SANDBOX', { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 10_000, 'proposal');
    if (!approve) return [msg.text];
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
    // Run 1 leaves its proposal pending; runs 2 and 3 approve theirs to Verified.
    for (const [run, approve] of [[1, false], [2, true], [3, true]] as const) {
      const said = await demo(db, join(dir, 'postmortems'), approve);
      expect(said[0], `run ${run}`).toContain('v42 → v41');
      if (approve) expect(said.join('\n'), `run ${run}`).toContain('Verified: fraud-scorer on v41');
      expect(said.join('\n')).not.toContain('No known-good version');
    }
    // What closed the earlier runs is in the audit trail, and nothing is left queued for a gone Slack.
    const check = openDb(db);
    try {
      const actions = check.prepare("SELECT action, actor FROM audit WHERE actor = 'sandbox' ORDER BY seq").all();
      expect(actions).toEqual(expect.arrayContaining([{ action: 'incident.resolved', actor: 'sandbox' }, { action: 'proposal.cancelled', actor: 'sandbox' }]));
      // The cancellation and resolution lines of run 1's thread had nowhere to go: dropped, saying why.
      const dropped = check.prepare("SELECT kind, sent_at FROM outbox WHERE last_error LIKE 'dropped by the sandbox%'").all() as { kind: string; sent_at: string | null }[];
      expect(dropped.map((d) => d.kind)).toEqual(expect.arrayContaining(['thread', 'update_proposal']));
      expect(dropped.every((d) => d.sent_at !== null)).toBe(true);
    } finally {
      check.close();
    }
  }, 120_000);
});
