/**
 * The one place that reads process.env and builds real clients. Everything below it
 * takes its collaborators as arguments.
 */
import { startBackstop, StartupError } from './bootstrap.js';
import { drillSchedulerDefaults } from './drills/drill-wiring.js';
import { parseEnv } from './config/env.js';
import { loadPolicyFile } from './config/policy.js';
import { createLogger } from './log/logger.js';
import { fileURLToPath } from 'node:url';

async function main(): Promise<void> {
  const envResult = parseEnv(process.env);
  if (!envResult.ok) {
    for (const p of envResult.problems) console.error(`env ${p.path}: ${p.message}`);
    process.exit(2);
  }
  const env = envResult.env;
  const log = createLogger({ level: env.LOG_LEVEL });
  // No Slack workspace: run the same bot against the local Slack emulator (the embedded default).
  const sandbox = !env.SLACK_BOT_TOKEN;
  const configFile = env.BACKSTOP_CONFIG ?? (sandbox ? fileURLToPath(new URL('../manifests/policy.sandbox.yaml', import.meta.url)) : undefined);
  if (!configFile) {
    console.error('BACKSTOP_CONFIG is not set: point it at your policy file (see manifests/policy.example.yaml).');
    process.exit(2);
  }
  const policy = loadPolicyFile(configFile);
  if (!policy.ok) {
    for (const p of policy.problems) console.error(`${configFile}: ${p.path}: ${p.message}`);
    process.exit(2);
  }
  let bot: { stop(): Promise<void> };
  if (sandbox) {
    // Loaded only here: production start-up never pays for the emulator and its console.
    const { startSandbox } = await import('./sandbox/start-sandbox.js');
    const s = await startSandbox({ env, policy: policy.policy, log, secrets: process.env });
    bot = s;
    const url = s.bot.url;
    console.log([
      '',
      'Backstop is running in sandbox mode (no SLACK_BOT_TOKEN): the real bot against a local Slack emulator.',
      '',
      `  ▶ Open the console: ${s.consoleUrl}`,
      '',
      `  bot:            ${url}  (alerts: POST ${url}/alerts/alertmanager${s.generatedAlertmanagerToken ? ` with Authorization: Bearer ${s.generatedAlertmanagerToken}, made for this run` : ''})`,
      `  Slack emulator: ${s.emulator.url}${env.BACKSTOP_SANDBOX_SOCKET === '1' ? '  (Socket Mode: clicks and commands reach the bot over its WebSocket)' : ''}`,
      `  policy:         ${configFile}`,
      `  database:       ${env.BACKSTOP_DB}`,
      '',
      'Demo: fraud-scorer serves v42 (accuracy 0.80, breach); v41 is its last known-good version.',
      '      Approvers: Alice and Bob (two needed), Olivia via @sre-oncall; Mallory may not approve.',
      'Then: fire the demo alert, switch users, approve as Alice and Bob, resolve the alert.',
      '',
    ].join('\n'));
  } else {
    bot = await startBackstop({ env, policy: policy.policy, secrets: process.env, logger: log, killAt: env.BACKSTOP_TEST_KILL_AT, drillWiring: drillSchedulerDefaults });
  }
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // A refused start-up names what to fix; a stack trace would bury it.
  if (err instanceof StartupError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
