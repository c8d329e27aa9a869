import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../ports/clock.js';

// setTimeout holds at most 2^31-1 ms (~24.8 days); longer waits are re-armed in steps.
const MAX_TIMER = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => delay(ms).then(() => undefined),
  at(when, fn) {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const left = when.getTime() - Date.now();
      if (left <= 0) {
        timer = undefined;
        fn();
        return;
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER));
      // Timers never keep the process alive on their own: shutdown must not wait for them.
      timer.unref();
    };
    timer = setTimeout(arm, 0);
    timer.unref();
    return () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };
  },
};
