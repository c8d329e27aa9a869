import type { Deps } from './deps.js';
import { analyzeService } from './analyze-services.js';

export interface AnalysisLag {
  service: string;
  intervalMs: number;
  /** How late the last pass started after it was due. */
  lagMs: number;
  /** Passes that could not start on time because the one before ran past its interval. */
  skipped: number;
  lastRunAt: string | null;
}

/**
 * Continuous analysis on each service's own `decision.interval`: a service's protection against
 * false rollbacks (interval × failureLimit) never depends on its neighbours' settings. Each service
 * has its own timer on the injected clock; a pass that overruns its interval is logged and counted,
 * and the next pass starts at the next whole interval instead of piling up.
 */
export class AnalysisScheduler {
  private readonly cancels = new Map<string, () => void>();
  private readonly stats = new Map<string, AnalysisLag>();
  private stopped = false;

  /** `mayAct`: asked as each timer fires; a replica that lost its lease (or was paused past it) does nothing. */
  constructor(private readonly deps: Deps, private readonly mayAct: () => boolean = () => true) {}

  /** Arms every service's timer; after `stop()` it may start again (a replica that regained leadership). */
  start(): void {
    this.stopped = false;
    const now = this.deps.clock.now().getTime();
    for (const name of Object.keys(this.deps.policy.services)) {
      const d = this.deps.service(name)?.decision;
      if (!d) continue;
      this.stats.set(name, { service: name, intervalMs: d.interval, lagMs: 0, skipped: 0, lastRunAt: null });
      this.arm(name, now + d.interval);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.cancels.values()) cancel();
    this.cancels.clear();
  }

  /** Per-service lag, for `/metrics`. */
  lag(): AnalysisLag[] {
    return [...this.stats.values()].map((s) => ({ ...s }));
  }

  private arm(service: string, due: number): void {
    if (this.stopped) return;
    this.cancels.set(service, this.deps.clock.at(new Date(due), () => {
      if (!this.mayAct()) return;
      this.deps.tasks.run(`analyze ${service}`, () => this.run(service, due));
    }));
  }

  private async run(service: string, due: number): Promise<void> {
    const svc = this.deps.service(service);
    const stat = this.stats.get(service);
    if (!svc?.decision || !stat || this.stopped) return;
    const started = this.deps.clock.now().getTime();
    stat.lagMs = Math.max(0, started - due);
    stat.lastRunAt = new Date(started).toISOString();
    try {
      await analyzeService(this.deps, svc);
    } catch (err) {
      this.deps.log.error({ err, service }, 'analysis pass failed');
    }
    const interval = svc.decision.interval;
    const finished = this.deps.clock.now().getTime();
    let next = due + interval;
    if (next <= finished) {
      const missed = Math.floor((finished - due) / interval);
      next = due + (missed + 1) * interval;
      stat.skipped += missed;
      this.deps.log.warn({ service, intervalMs: interval, tookMs: finished - started, skipped: missed }, 'analysis pass overran its interval; skipped ticks');
    }
    this.arm(service, next);
  }
}
