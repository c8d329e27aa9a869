/** The child-process registry kills what a test started, whatever happens to the test or its worker. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runningChildren, stopChild, track, trackForTest } from './children.js';

const IDLE = 'setInterval(() => {}, 1000)';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (!alive(pid)) return true;
  }
  return false;
}

describe('test children', () => {
  let pid = 0;
  it.fails('a child of a failing test …', () => {
    pid = trackForTest(spawn(process.execPath, ['-e', IDLE], { stdio: 'ignore' })).pid!;
    expect(alive(pid)).toBe(true);
    throw new Error('the test fails before it stops its child');
  });
  it('… is stopped when that test finishes', async () => {
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
    expect(runningChildren()).toBe(0);
  });

  it('is SIGKILLed when it ignores SIGTERM', async () => {
    const child = track(spawn(process.execPath, ['-e', `process.on('SIGTERM', () => {}); console.log('ready'); ${IDLE}`], { stdio: ['ignore', 'pipe', 'ignore'] }));
    await new Promise((r) => child.stdout!.once('data', r));
    const started = Date.now();
    await stopChild(child, 300);
    expect(child.signalCode).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('one that never started stops at once', async () => {
    const child = track(spawn('/nonexistent/backstop-test-binary', [], { stdio: 'ignore' }));
    await new Promise((r) => child.once('error', r));
    await stopChild(child);
    expect(runningChildren()).toBe(0);
  });

  it('is killed when the worker that started it is terminated (as vitest ends its forks: SIGTERM)', async () => {
    const helper = new URL('./children.ts', import.meta.url).href;
    const script = `import { spawn } from 'node:child_process'; import { track } from ${JSON.stringify(helper)};
      const c = track(spawn(process.execPath, ['-e', ${JSON.stringify(IDLE)}], { stdio: 'ignore' })); console.log(c.pid); ${IDLE}`;
    const worker = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const grandchild = Number(await new Promise<string>((r) => worker.stdout!.once('data', (d: Buffer) => r(String(d).trim()))));
      expect(alive(grandchild)).toBe(true);
      const exited = new Promise((r) => worker.once('exit', (_code, signal) => r(signal)));
      worker.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      expect(await gone(grandchild)).toBe(true);
    } finally {
      worker.kill('SIGKILL');
    }
  });
});
