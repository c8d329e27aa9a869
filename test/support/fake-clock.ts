import type { Clock } from '../../src/ports/clock.js';

/** A clock that only moves when told to; `sleep` advances it and resolves at once. */
export class FakeClock implements Clock {
  private ms: number;

  constructor(start: Date | string = '2025-03-01T12:00:00.000Z') {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }
}
