/** Injected faults: the next calls of a method (or of any, `*`) fail as a test asked. */
import type { Fault } from './types.js';

interface FaultState {
  fault: Fault;
  remaining: number;
}

export class Faults {
  private readonly queues = new Map<string, FaultState[]>();

  add(method: string, fault: Fault, times: number): void {
    const list = this.queues.get(method) ?? [];
    list.push({ fault, remaining: times });
    this.queues.set(method, list);
  }

  /** The fault this call of `method` gets, if any; a fault for the method itself comes before `*`. */
  take(method: string): Fault | undefined {
    for (const key of [method, '*']) {
      const list = this.queues.get(key);
      const head = list?.[0];
      if (!list || !head) continue;
      head.remaining -= 1;
      if (head.remaining <= 0) list.shift();
      if (list.length === 0) this.queues.delete(key);
      return head.fault;
    }
    return undefined;
  }
}
