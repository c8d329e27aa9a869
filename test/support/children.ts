/**
 * Long-running child processes of a test (the bot's `src/main.ts`, Alertmanager, Prometheus) are
 * killed whatever happens to the test. Register each one with `track` as soon as it is spawned,
 * and stop it with `stopChild` (SIGTERM, then SIGKILL if it has not exited within the grace).
 *
 * As a last resort, every tracked child still running is SIGKILLed when the test worker exits
 * or is terminated (vitest ends its fork workers with SIGTERM, which skips `exit` listeners).
 * Inside a test, `trackForTest` also stops the child when that test finishes, passed or failed.
 */
import type { ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';

const live = new Set<ChildProcess>();

/** Whether `child` was started and has not exited yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function killAllNow(): void {
  for (const child of live) {
    if (isRunning(child)) child.kill('SIGKILL');
  }
  live.clear();
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  // Then die of the signal as the default action would have.
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAllNow);
  for (const s of SIGNALS) process.once(s, onSignal);
}

/** Registers `child` so that it cannot outlive this process; returns it. */
export function track<T extends ChildProcess>(child: T): T {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  // A child that could not be spawned (e.g. ENOENT) emits 'error' and may never emit 'exit'.
  child.once('error', () => {
    if (!isRunning(child)) live.delete(child);
  });
  return child;
}

/**
 * Stops `child`: SIGTERM, then SIGKILL if it is still running after `graceMs`. Resolves once it
 * has exited (at once if it never started or has already exited).
 */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) {
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
    live.delete(child);
  }
}

/** Stops every tracked child still running (for an `afterAll`/`afterEach`). */
export async function stopAllChildren(graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, graceMs)));
}

/** `track`, and stop the child when the current test finishes, whatever its outcome. Call it inside a test. */
export function trackForTest<T extends ChildProcess>(child: T, graceMs = 5_000): T {
  track(child);
  onTestFinished(() => stopChild(child, graceMs));
  return child;
}

/** How many tracked children are still running (for tests of this helper). */
export function runningChildren(): number {
  return [...live].filter(isRunning).length;
}
