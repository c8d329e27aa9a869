import { VirtualClock } from '../../src/runtime/virtual-clock.js';

/**
 * The virtual clock, for tests that drive time by hand: `sleep` advances it and resolves at
 * once, so a use case that sleeps never waits for the test. Timers armed with `at` fire, in time
 * order, as `advance` passes them, with `now()` reading their due time.
 */
export class FakeClock extends VirtualClock {
  constructor(start: Date | string = '2025-03-01T12:00:00.000Z') {
    super(start);
  }

  override async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }
}
