import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { trackForTest } from '../support/children.js';

export const POLICY_FILE = 'runbooks/backtest/fraud-scorer.policy.yaml';
export const SERIES_FILE = 'runbooks/backtest/fraud-scorer-accuracy-drop.csv';
export const DEPLOY_AT = '2025-03-04T10:00:00Z';

/** The shipped example policy, with text replaced (e.g. the mode). */
export function examplePolicy(replace: [string, string][] = []): string {
  let text = readFileSync(POLICY_FILE, 'utf8');
  for (const [from, to] of replace) {
    if (!text.includes(from)) throw new Error(`example policy has no "${from}"`);
    text = text.replace(from, to);
  }
  return text;
}

/**
 * A series for the example's two SLIs, one row a minute from 09:30 to `until`: accuracy is
 * whatever `accuracy(minute)` says (a number, '' for no data, 'error'); latency stays healthy.
 */
export function csv(accuracy: (t: Date) => number | string, until = '2025-03-04T10:40:00Z'): string {
  const rows = ['at,sli,value'];
  for (let ms = Date.parse('2025-03-04T09:30:00Z'); ms <= Date.parse(until); ms += 60_000) {
    const t = new Date(ms);
    const at = t.toISOString().replace('.000Z', 'Z');
    rows.push(`${at},accuracy,${accuracy(t)}`, `${at},latency_p99,0.21`);
  }
  return `${rows.join('\n')}\n`;
}

/** Minutes since 10:00 on the example's day. */
export const minute = (t: Date) => (t.getTime() - Date.parse(DEPLOY_AT)) / 60_000;

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node bin/backstop.js`) as a child that is always killed, even if the test fails. */
export function runCli(args: string[], timeoutMs = 15_000): Promise<CliRun> {
  const child = trackForTest(spawn('node', ['bin/backstop.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`backstop ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
