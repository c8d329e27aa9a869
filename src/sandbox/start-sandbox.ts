import { randomBytes } from 'node:crypto';
import { LocalRegistry } from '../adapters/local-registry/registry.js';
import { startBackstop, type Backstop } from '../bootstrap.js';
import { drillSchedulerDefaults } from '../drills/drill-wiring.js';
import type { Env } from '../config/env.js';
import type { Policy } from '../config/policy.js';
import type { Logger } from '../log/logger.js';
import { systemClock } from '../runtime/system-clock.js';
import { loadOrCreateKeyFile, sandboxKeyFile } from '../store/audit-key.js';
import { openDb } from '../store/db.js';
import { createConsole } from './console-server.js';
import { resetDemo } from './demo-reset.js';
import { SlackEmulator } from './slack-emulator.js';

/** Users and channel the sandbox policy (manifests/policy.sandbox.yaml) refers to. */
export const SANDBOX_USERS = [
  { id: 'U0ALICE', name: 'alice', real_name: 'Alice (approver)', email: 'alice@example.com', role: 'approver' },
  { id: 'U0BOB', name: 'bob', real_name: 'Bob (approver)', email: 'bob@example.com', role: 'approver' },
  { id: 'U0MALLORY', name: 'mallory', real_name: 'Mallory (not an approver)', email: 'mallory@example.com', role: 'not an approver' },
  { id: 'U0OLIVIA', name: 'olivia', real_name: 'Olivia (on call)', email: 'olivia@example.com', role: 'on call (approver via @sre-oncall)' },
];
export const SANDBOX_CHANNEL = { id: 'C0SANDBOX', name: 'inc-fraud-scorer' };

export interface Sandbox {
  bot: Backstop;
  consoleUrl: string;
  emulator: SlackEmulator;
  /** The Alertmanager token made for this run, when none was configured. */
  generatedAlertmanagerToken?: string;
  stop(): Promise<void>;
}

/**
 * Runs the real bot against the local Slack emulator: the embedded default when no Slack
 * workspace is configured. The signing secret is random per run and shared only in-process.
 */
export async function startSandbox(opts: { env: Env; policy: Policy; log: Logger; secrets?: Record<string, string | undefined> }): Promise<Sandbox> {
  const emulator = new SlackEmulator({ chatWritePublic: true });
  await emulator.start(0, '127.0.0.1');
  for (const { role: _role, ...u } of SANDBOX_USERS) emulator.addUser(u);
  emulator.addChannel({ ...SANDBOX_CHANNEL, members: SANDBOX_USERS.map((u) => u.id) });
  emulator.addUsergroup({ id: 'S0ONCALL', handle: 'sre-oncall', users: ['U0OLIVIA'] });

  const db = openDb(opts.env.BACKSTOP_DB);
  seedRegistry(new LocalRegistry(db, systemClock));
  const generatedToken = (opts.env.ALERTMANAGER_TOKEN || opts.env.ALERTMANAGER_AUTH === 'none') ? undefined : randomBytes(16).toString('hex');
  const env: Env = {
    ...opts.env,
    // The sandbox approves as anyone: it stays on this machine unless HOST says otherwise.
    HOST: opts.env.HOST ?? '127.0.0.1',
    BACKSTOP_AUDIT_KEY: sandboxAuditKey(opts.env, opts.log),
    SLACK_BOT_TOKEN: 'xoxb-backstop-emulator',
    SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
    SLACK_API_URL: emulator.url,
    // Socket Mode on request: the emulator's WebSocket server, the way most internal bots are installed.
    SLACK_APP_TOKEN: opts.env.BACKSTOP_SANDBOX_SOCKET === '1' ? emulator.appToken : undefined,
    // Intake is closed without a token: make one per run, which the console's demo alert sends.
    ALERTMANAGER_TOKEN: opts.env.ALERTMANAGER_TOKEN ?? generatedToken,
  };
  let botUrl = '';
  // Set once the bot is up: Reset demo needs its use cases, the console exists before it.
  const ready: { bot?: Backstop } = {};
  const demoService = Object.keys(opts.policy.services)[0] ?? 'fraud-scorer';
  const consoleListener = createConsole({
    emulator, botUrl: () => botUrl, signingSecret: env.SLACK_SIGNING_SECRET!, alertmanagerToken: env.ALERTMANAGER_TOKEN, socketMode: Boolean(env.SLACK_APP_TOKEN),
    users: SANDBOX_USERS, demoService,
    // Reset demo: what the person pressing it closes is theirs (audited as them), in this run's Slack.
    async resetDemo(user) {
      if (!ready.bot) throw new Error('the bot is still starting');
      const done = await resetDemo(ready.bot.deps, { service: demoService, actor: user, slack: 'here' });
      seedRegistry(new LocalRegistry(db, systemClock));
      return done.message;
    },
  });
  const bot = await startBackstop({
    env, policy: opts.policy, secrets: opts.secrets, logger: opts.log, db, mounts: { '/sandbox': consoleListener }, pacing: { channelIntervalMs: 150, channelBurst: 5 },
    // The same drills as production: `/backstop drill <scenario>` in the sandbox channel, announced at once.
    drills: opts.policy.drills ?? { channel: SANDBOX_CHANNEL.id, timezone: 'UTC', announceLead: 0, schedules: [] },
    drillWiring: drillSchedulerDefaults,
  });
  botUrl = bot.url;
  ready.bot = bot;
  // The last run's incident is still open in this database, its messages in an emulator that is
  // gone: close it, so the demo alert proposes afresh, and drop what was queued for that Slack.
  const reset = await resetDemo(bot.deps, { service: demoService, actor: 'sandbox', slack: 'gone' });
  if (reset.incidents > 0 || reset.droppedMessages > 0) opts.log.info(reset, 'sandbox: the last demo was closed');
  return {
    bot, emulator, consoleUrl: `${bot.url}/sandbox`, generatedAlertmanagerToken: generatedToken,
    async stop() {
      await bot.stop();
      await emulator.stop();
      db.close();
    },
  };
}

/**
 * BACKSTOP_AUDIT_KEY if set; else a key made on first start beside the database and reused
 * after, so `backstop audit verify` finds it there.
 */
function sandboxAuditKey(env: Env, log: Logger): string {
  if (env.BACKSTOP_AUDIT_KEY) return env.BACKSTOP_AUDIT_KEY;
  if (env.BACKSTOP_DB === ':memory:') return randomBytes(32).toString('hex');
  const file = sandboxKeyFile(env.BACKSTOP_DB);
  const key = loadOrCreateKeyFile(file);
  log.info({ file }, key.created ? 'sandbox audit key created (set BACKSTOP_AUDIT_KEY to use your own)' : 'sandbox audit key read');
  return key.secret;
}

/**
 * fraud-scorer v41 (good) then v42 (bad, serving). Seeded on first start and put back on every
 * later one (the last demo rolled back to v41), so the quick start works every time.
 */
function seedRegistry(registry: LocalRegistry): void {
  const versions = registry.listVersions('fraud-scorer');
  if (!versions.ok || versions.value.length === 0) {
    registry.register('fraud-scorer', 'v41', { source: 's3://models/fraud-scorer/41' });
    registry.register('fraud-scorer', 'v42', { source: 's3://models/fraud-scorer/42' });
    registry.markGood('fraud-scorer', 'v41', 'sandbox');
  }
  const serving = registry.alias('fraud-scorer', 'production');
  if (serving.ok && serving.value.version === 'v42') return;
  registry.promote('fraud-scorer', 'v41', { actor: 'sandbox', reason: 'demo: known-good release' });
  registry.promote('fraud-scorer', 'v42', { actor: 'sandbox', reason: 'demo: the bad release' });
}
