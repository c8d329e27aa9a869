import { spawn } from 'node:child_process';

/**
 * Runs the git CLI with a deadline. Each command gets its own process group so a timeout
 * also ends what git started (ssh, remote helpers, a local receive-pack and its hooks).
 */

export type GitResult =
  | { ok: true; stdout: string; raw: Buffer; stderr: string }
  | { ok: false; timedOut: boolean; code: number | null; stdout: string; stderr: string };

export interface GitRunner {
  run(args: string[], opts?: { cwd?: string; input?: string }): Promise<GitResult>;
}

export function gitRunner(opts: { env: Record<string, string>; timeoutMs: number }): GitRunner {
  return {
    run(args, { cwd, input } = {}) {
      return new Promise((resolve) => {
        const child = spawn('git', args, { cwd, env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, opts.timeoutMs);
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.on('error', (e) => {
          clearTimeout(timer);
          resolve({ ok: false, timedOut: false, code: null, stdout: '', stderr: `cannot run git: ${e.message}` });
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          const raw = Buffer.concat(out);
          const stdout = raw.toString('utf8');
          const stderr = Buffer.concat(err).toString('utf8');
          resolve(code === 0 && !timedOut ? { ok: true, stdout, raw, stderr } : { ok: false, timedOut, code, stdout, stderr });
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(input ?? '');
      });
    },
  };
}

/** `git cat-file --batch` output: one object per requested spec, or null when it is missing. */
export function parseCatFileBatch(raw: Buffer, count: number): Array<string | null> {
  const out: Array<string | null> = [];
  let pos = 0;
  for (let i = 0; i < count && pos < raw.length; i++) {
    const nl = raw.indexOf(0x0a, pos);
    if (nl < 0) break;
    const header = raw.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    const m = /^[0-9a-f]+ \w+ (\d+)$/.exec(header);
    if (!m) {
      out.push(null);
      continue;
    }
    const size = Number(m[1]);
    out.push(raw.subarray(pos, pos + size).toString('utf8'));
    pos += size + 1;
  }
  return out;
}
