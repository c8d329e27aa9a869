import type { Logger } from '../log/logger.js';
import type { Tasks } from '../ports/tasks.js';

/** Background work after an ack; failures are logged, never lost silently, never crash the process. */
export class TaskTracker implements Tasks {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  run(name: string, work: () => Promise<unknown>): void {
    const p: Promise<unknown> = Promise.resolve()
      .then(work)
      .catch((err: unknown) => this.log.error({ err, task: name }, 'background task failed'))
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  get busy(): number {
    return this.inflight.size;
  }

  /** Resolves once no task is running, including tasks started by tasks. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}
