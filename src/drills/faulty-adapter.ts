/**
 * Wraps the drill's rollback adapter (a local registry, never a real target) and injects the
 * scenario's adapter faults: the first N executions fail retryably, or hang and time out. Every
 * injected failure is counted so the report can say which faults the bot actually met.
 */
import type { Clock } from '../ports/clock.js';
import type { ExecuteOutcome, ExecuteRequest, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../ports/rollback-adapter.js';
import type { ScenarioFault } from './scenario.js';
import type { DrillTimeline } from './synthetic-sli.js';

type AdapterFault = Extract<ScenarioFault, { kind: 'adapter-fail' | 'adapter-timeout' }>;

export class FaultyAdapter implements RollbackAdapter {
  readonly kind: string;
  /** Execute calls seen, and how many of them a fault answered. */
  calls = 0;
  readonly injected = { 'adapter-fail': 0, 'adapter-timeout': 0 };

  private readonly faultPlan: { fault: AdapterFault; from: number; to: number }[] = [];

  constructor(
    private readonly inner: RollbackAdapter,
    faults: readonly ScenarioFault[],
    private readonly deps: { clock: Clock; timeline: DrillTimeline; timeScale: number },
  ) {
    this.kind = inner.kind;
    // Faults take the attempts in the order written: fail ×2 then timeout ×1 covers attempts 1–3.
    let n = 0;
    for (const f of faults) {
      if (f.kind !== 'adapter-fail' && f.kind !== 'adapter-timeout') continue;
      this.faultPlan.push({ fault: f, from: n + 1, to: n + f.attempts });
      n += f.attempts;
    }
  }

  describe(): string {
    return `DRILL ${this.inner.describe()}`;
  }

  versions(): Promise<VersionState> {
    return this.inner.versions();
  }

  plan(to: string): Promise<RollbackPlan> {
    return this.inner.plan(to);
  }

  preflight(to: string): Promise<PreflightResult> {
    return this.inner.preflight(to);
  }

  readBack(to: string): Promise<ReadBack> {
    return this.inner.readBack(to);
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    this.calls++;
    const hit = this.faultPlan.find((p) => this.calls >= p.from && this.calls <= p.to);
    if (hit) {
      this.injected[hit.fault.kind]++;
      if (hit.fault.kind === 'adapter-fail') {
        return { ok: false, retryable: true, message: `DRILL fault: ${hit.fault.message} (attempt ${this.calls})` };
      }
      const waited = Math.round(hit.fault.after * this.deps.timeScale);
      await this.deps.clock.sleep(waited);
      return { ok: false, retryable: true, message: `DRILL fault: target did not answer within ${hit.fault.after} ms (attempt ${this.calls})` };
    }
    // The whole request (expectedFrom, planned) reaches the target: a drill meets target_moved as production would.
    const outcome = await this.inner.execute(req);
    if (outcome.ok && !this.deps.timeline.rolledBackAt) this.deps.timeline.rolledBackAt = this.deps.clock.now();
    return outcome;
  }
}
