import type { Clock } from '../../src/ports/clock.js';

/**
 * A clock that only moves when told to; `sleep` advances it and resolves at once. Timers armed
 * with `at` fire, in time order, as `advance` passes them, with `now()` reading their due time.
 */
export class FakeClock implements Clock {
  private ms: number;
  private timers: { due: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(start: Date | string = '2025-03-01T12:00:00.000Z') {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    const end = this.ms + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = Math.max(this.ms, next.due);
      next.fn();
    }
    this.ms = Math.max(this.ms, end);
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }

  at(when: Date, fn: () => void): () => void {
    const t = { due: when.getTime(), seq: this.seq++, fn };
    if (t.due <= this.ms) {
      queueMicrotask(fn);
      return () => undefined;
    }
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  /** Timers still waiting (for tests that check nothing is left armed). */
  get pending(): number {
    return this.timers.length;
  }
}
