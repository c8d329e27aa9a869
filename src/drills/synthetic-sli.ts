/**
 * The drill's SLI source: plays back the scenario's series instead of asking Prometheus. Before
 * the rollback the bad version's SLI follows the breach shape (history synthesised back to
 * `breach.over` before the alert); once the good version serves it moves to the recovery value.
 * An `sli-down` fault turns measurements into errors, which the bot must treat as inconclusive.
 */
import type { SliSpec } from '../domain/sli.js';
import type { SliContext, SliMeasurement, SliSource } from '../ports/sli-source.js';
import type { Scenario, ScenarioSli } from './scenario.js';

/** What happened when in this drill; the runner and the faulty adapter fill it in. */
export interface DrillTimeline {
  /** When the alert fired: the breach had been building for `breach.over` by then. */
  alertAt: Date;
  /** When the adapter moved the target to the good version (null until then). */
  rolledBackAt: Date | null;
}

/** Value of the bad version's SLI `ms` after the breach began. Pure. */
export function breachValue(sli: ScenarioSli, ms: number): number {
  const { baseline } = sli;
  const { shape, value, over } = sli.breach;
  if (ms < 0) return baseline;
  switch (shape) {
    case 'step':
      return value;
    case 'ramp':
      return over === 0 ? value : baseline + (value - baseline) * Math.min(1, ms / over);
    case 'spike': {
      // Overshoots by half the drop at onset and settles at `value`: always at least as bad as `value`.
      const decay = over === 0 ? 0 : Math.exp(-(4 * ms) / over);
      return value + (value - baseline) * 0.5 * decay;
    }
  }
}

/** Value after the rollback: slides from where the breach was to the recovery value; no recovery keeps the breach. */
export function recoveryValue(sli: ScenarioSli, msSinceRollback: number, recoveryOverMs: number, breachNow: number): number | null {
  if (!sli.recovery) return breachNow;
  if (recoveryOverMs <= 0 || msSinceRollback >= recoveryOverMs) return sli.recovery.value;
  const f = Math.max(0, msSinceRollback) / recoveryOverMs;
  return breachNow + (sli.recovery.value - breachNow) * f;
}

export interface SyntheticSliOptions {
  scenario: Scenario;
  timeline: DrillTimeline;
  /** Multiplies future delays (the recovery ramp); 1 plays the scenario in real time. */
  timeScale: number;
}

export class SyntheticSliSource implements SliSource {
  readonly kind = 'drill-synthetic';
  /** Measurements answered with an error because of an `sli-down` fault. */
  errorsServed = 0;

  private readonly byName: Map<string, ScenarioSli>;

  constructor(private readonly opts: SyntheticSliOptions) {
    this.byName = new Map(opts.scenario.slis.map((s) => [s.name, s]));
  }

  private down(): boolean {
    const f = this.opts.scenario.faults.find((x) => x.kind === 'sli-down');
    if (!f || f.kind !== 'sli-down') return false;
    if (f.during === 'always') return true;
    const afterRollback = this.opts.timeline.rolledBackAt !== null;
    return f.during === 'verification' ? afterRollback : !afterRollback;
  }

  /** The series value at `at` for whichever version served then. */
  valueAt(sli: ScenarioSli, at: Date, servingGood: boolean): number | null {
    const { alertAt, rolledBackAt } = this.opts.timeline;
    const breachStart = alertAt.getTime() - sli.breach.over;
    const bad = breachValue(sli, at.getTime() - breachStart);
    if (!servingGood) return bad;
    if (!rolledBackAt) return sli.baseline;
    const sinceRollback = at.getTime() - rolledBackAt.getTime();
    const breachAtRollback = breachValue(sli, rolledBackAt.getTime() - breachStart);
    return recoveryValue(sli, sinceRollback, (sli.recovery?.over ?? 0) * this.opts.timeScale, breachAtRollback);
  }

  async measure(spec: SliSpec, ctx: SliContext): Promise<SliMeasurement> {
    const sli = this.byName.get(spec.name);
    if (!sli) return { error: `DRILL: SLI ${spec.name} is not in scenario ${this.opts.scenario.name}` };
    if (this.down()) {
      this.errorsServed++;
      return { error: 'DRILL fault: SLI source unreachable (connection refused)' };
    }
    const { good, bad } = this.opts.scenario.versions;
    const valueFor = (v: string | null): number | null => (v === good ? this.valueAt(sli, ctx.now, true) : v === bad ? this.valueAt(sli, ctx.now, false) : null);
    return { baseline: ctx.baselineVersion === good ? sli.baseline : valueFor(ctx.baselineVersion), current: valueFor(ctx.currentVersion) };
  }

  async range(spec: SliSpec, window: { start: Date; end: Date; stepSeconds: number }): Promise<{ points: [number, number | null][] } | { error: string }> {
    const sli = this.byName.get(spec.name);
    if (!sli) return { error: `DRILL: SLI ${spec.name} is not in scenario ${this.opts.scenario.name}` };
    if (this.down()) return { error: 'DRILL fault: SLI source unreachable (connection refused)' };
    const points: [number, number | null][] = [];
    const { rolledBackAt } = this.opts.timeline;
    for (let t = window.start.getTime(); t <= window.end.getTime(); t += window.stepSeconds * 1000) {
      const at = new Date(t);
      points.push([t / 1000, this.valueAt(sli, at, rolledBackAt !== null && t >= rolledBackAt.getTime())]);
    }
    return { points };
  }
}
