/**
 * The one place that reads process.env and builds real clients. Everything below it
 * takes its collaborators as arguments.
 */
import { startBackstop } from './bootstrap.js';
import { parseEnv } from './config/env.js';
import { loadPolicyFile } from './config/policy.js';
import { createLogger } from './log/logger.js';

async function main(): Promise<void> {
  const envResult = parseEnv(process.env);
  if (!envResult.ok) {
    for (const p of envResult.problems) console.error(`env ${p.path}: ${p.message}`);
    process.exit(2);
  }
  const env = envResult.env;
  const log = createLogger({ level: env.LOG_LEVEL });
  if (!env.BACKSTOP_CONFIG) {
    console.error('BACKSTOP_CONFIG is not set: point it at your policy file (see manifests/policy.example.yaml).');
    process.exit(2);
  }
  const policy = loadPolicyFile(env.BACKSTOP_CONFIG);
  if (!policy.ok) {
    for (const p of policy.problems) console.error(`${env.BACKSTOP_CONFIG}: ${p.path}: ${p.message}`);
    process.exit(2);
  }
  if (!env.SLACK_BOT_TOKEN) {
    console.error('SLACK_BOT_TOKEN is not set: create a Slack app from manifests/slack-app.yaml and set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.');
    process.exit(2);
  }
  const bot = await startBackstop({ env, policy: policy.policy, secrets: process.env, logger: log });
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
