import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { startBackstop, type Backstop } from '../../src/bootstrap.js';
import { parseEnv } from '../../src/config/env.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator.js';
import { openDb } from '../../src/store/db.js';
import { TEST_AUDIT_KEY } from './audit-key.js';
import { SlackDriver } from './slack-driver.js';

export const SIGNING_SECRET = 'fixture-signing-secret-0123456789';
export const AM_TOKEN = 'fixture-alertmanager-token-0123';
export const BOT_TOKEN = 'xoxb-backstop-emulator';
export const GENERIC_SECRET = 'fixture-generic-secret-0123456789';
export const PD_SECRET = 'fixture-pagerduty-secret-0123';
export const DEPLOY_TOKEN = 'fixture-deploy-token-0123456789';
export const USERS = {
  alice: { id: 'U0ALICE', name: 'alice' },
  bob: { id: 'U0BOB', name: 'bob' },
  carol: { id: 'U0CAROL', name: 'carol' },
  mallory: { id: 'U0MALLORY', name: 'mallory' },
};
export const CHANNEL = { id: 'C0FRAUD', name: 'fraud-scorer-incidents' };

export function policyYaml(dir: string, extra = ''): string {
  return `
defaults: { settle: 0s, proposalTtl: 30m, executeAttempts: 3, executeBackoff: 10ms }
postmortemDir: ${join(dir, 'postmortems')}
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    channel: ${CHANNEL.id}
    critical: true
    approvers: { users: [${USERS.alice.id}, ${USERS.bob.id}, ${USERS.carol.id}] }
    adapter: { kind: local-registry, model: fraud-scorer, alias: production }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.80 }, comparator: lt, threshold: 0.85 }
${extra}`;
}

/**
 * For each model a good release then a bad, serving one (fraud-scorer v41 then v42 by default),
 * as `npx backstop registry` would record them.
 */
export function seedRegistry(dbFile: string, models: readonly [model: string, good: string, bad: string][] = [['fraud-scorer', 'v41', 'v42']]): void {
  const db = openDb(dbFile);
  const r = new LocalRegistry(db, systemClock);
  for (const [model, good, bad] of models) {
    r.register(model, good);
    r.register(model, bad);
    r.promote(model, good, { actor: 'ci', reason: 'release' });
    r.promote(model, bad, { actor: 'ci', reason: 'release' });
  }
  db.close();
}

export async function startEmulator(): Promise<SlackEmulator> {
  const emu = new SlackEmulator({ botToken: BOT_TOKEN });
  await emu.start();
  for (const u of Object.values(USERS)) emu.addUser({ id: u.id, name: u.name, email: `${u.name}@example.com` });
  emu.addChannel({ id: CHANNEL.id, name: CHANNEL.name, members: Object.values(USERS).map((u) => u.id) });
  return emu;
}

export interface Fixture {
  emu: SlackEmulator;
  bot: Backstop;
  slack: SlackDriver;
  dir: string;
  dbFile: string;
  postAlerts(body: unknown, token?: string | null): Promise<Response>;
  /** Rows in every state table (the replay guard's table excluded). */
  rows(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startFixture(opts: { extraPolicy?: string; policyTop?: string; env?: Record<string, string>; seed?: (registry: LocalRegistry) => void; sweepIntervalMs?: number; logger?: Logger; secrets?: Record<string, string> } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-fx-'));
  const dbFile = join(dir, 'backstop.db');
  const emu = await startEmulator();
  seedRegistry(dbFile);
  if (opts.seed) {
    const db = openDb(dbFile);
    opts.seed(new LocalRegistry(db, systemClock));
    db.close();
  }
  const policy = parsePolicy((opts.policyTop ?? '') + policyYaml(dir, opts.extraPolicy));
  if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
  const env = parseEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: emu.url, PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: dbFile, ALERTMANAGER_TOKEN: AM_TOKEN, GENERIC_WEBHOOK_SECRET: GENERIC_SECRET, PAGERDUTY_WEBHOOK_SECRET: PD_SECRET, DEPLOY_TOKEN: DEPLOY_TOKEN, BACKSTOP_AUDIT_KEY: TEST_AUDIT_KEY, ...opts.env });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  const bot = await startBackstop({ env: env.env, policy: policy.policy, secrets: opts.secrets, logger: opts.logger ?? createLogger({ level: 'silent' }), pacing: { channelIntervalMs: 0, channelBurst: 1 }, sweepIntervalMs: opts.sweepIntervalMs });
  const slack = new SlackDriver(emu, bot.url, SIGNING_SECRET);
  return {
    emu, bot, slack, dir, dbFile,
    postAlerts(body, token = AM_TOKEN) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      return fetch(`${bot.url}/alerts/alertmanager`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    },
    rows() {
      const db = bot.sqlite.db;
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('seen_requests', 'schema_migrations')").pluck().all() as string[];
      return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]));
    },
    async stop() {
      await bot.stop();
      await emu.stop();
    },
  };
}
