import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'backstop.js');

/** The caller's own Backstop and Slack settings must not leak into the command under test. */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(BACKSTOP_|SLACK_)/.test(e[0])));
}

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `npx backstop …` (the real bin) as a child process and waits for it; spawnSync kills
 * it if it outlives the timeout, so no test leaves one behind.
 */
export function backstop(args: string[], env: Record<string, string>): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env }, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}
