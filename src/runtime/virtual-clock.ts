import type { Clock } from '../ports/clock.js';

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * Time that only moves when its driver says so: a backtest replays a week in seconds, and tests
 * never sleep. Timers armed with `at` fire in time order (ties in the order they were armed) as
 * `advance` passes them, with `now()` reading each one's due time. `sleep` waits for the driver
 * to move the clock past it, so work that sleeps (settle, read-back polls, retry backoff) lands
 * at the same instants as in production, interleaved with every other timer.
 */
export class VirtualClock implements Clock {
  private ms: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start: Date | string | number) {
    this.ms = new Date(start).getTime();
    if (Number.isNaN(this.ms)) throw new Error(`not a time: ${String(start)}`);
  }

  now(): Date {
    return new Date(this.ms);
  }

  at(when: Date, fn: () => void): () => void {
    const t: Timer = { due: when.getTime(), seq: this.seq++, fn };
    if (t.due <= this.ms) {
      queueMicrotask(fn);
      return () => undefined;
    }
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(new Date(this.ms + Math.max(0, ms)), resolve));
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.ms + ms);
  }

  /** Moves time forward to `when` (never back), firing every timer due on the way, in order. */
  advanceTo(when: number): void {
    for (;;) {
      const next = this.earliest(when);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = Math.max(this.ms, next.due);
      next.fn();
    }
    this.ms = Math.max(this.ms, when);
  }

  /** When the next timer is due, or undefined when none is armed. */
  nextDue(): number | undefined {
    return this.earliest(Infinity)?.due;
  }

  /** Timers still waiting (for tests that check nothing is left armed). */
  get pending(): number {
    return this.timers.length;
  }

  private earliest(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.due > until) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
