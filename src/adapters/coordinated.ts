import type { ExecuteOutcome, ExecuteRequest, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../ports/rollback-adapter.js';

/**
 * Several targets that roll back together, in the stated order (e.g. serving revision, then the
 * registry alias, then a feature flag). The first target decides the versions shown to people;
 * every other target rolls to its own last-good version. All are pre-flighted before any moves;
 * if one fails, the ones already moved are put back, and the message says where each stands.
 */
export class CoordinatedAdapter implements RollbackAdapter {
  readonly kind = 'coordinated';

  constructor(private readonly targets: readonly RollbackAdapter[]) {
    if (targets.length < 2) throw new Error('a coordinated rollback needs at least two targets');
  }

  describe(): string {
    return `coordinated: ${this.targets.map((t, i) => `${i + 1}. ${t.describe()}`).join(', ')}`;
  }

  versions(): Promise<VersionState> {
    return this.targets[0]!.versions();
  }

  /** The version each target would roll to: the primary's `to`, the others' own last-good. */
  private async targetsFor(to: string): Promise<{ adapter: RollbackAdapter; from: string | null; to: string | null }[]> {
    return Promise.all(this.targets.map(async (adapter, i) => {
      const v = await adapter.versions();
      return { adapter, from: v.current, to: i === 0 ? to : v.lastGood };
    }));
  }

  async preflight(to: string): Promise<PreflightResult> {
    const plan = await this.targetsFor(to);
    const results = await Promise.all(plan.map(async (t) => {
      if (!t.to) return { ok: false, checks: [{ name: `${t.adapter.describe()}: last-good version`, ok: false, detail: 'unknown: this target cannot be rolled back' }] };
      const r = await t.adapter.preflight(t.to);
      return { ok: r.ok, checks: r.checks.map((c) => ({ ...c, name: `${t.adapter.describe()}: ${c.name}` })) };
    }));
    return { ok: results.every((r) => r.ok), checks: results.flatMap((r) => r.checks) };
  }

  async plan(to: string): Promise<RollbackPlan> {
    const plan = await this.targetsFor(to);
    const steps: string[] = [];
    for (const [i, t] of plan.entries()) {
      const p = await t.adapter.plan(t.to ?? '(unknown)');
      steps.push(...p.steps.map((s) => `${i + 1}. ${s}`));
    }
    steps.push('if a target fails: put the targets already moved back to where they were');
    return { target: this.describe(), from: plan[0]!.from, to, steps };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    const plan = await this.targetsFor(req.to);
    const missing = plan.find((t) => !t.to);
    if (missing) return { ok: false, retryable: false, message: `${missing.adapter.describe()} has no last-good version; nothing was moved` };
    const moved: typeof plan = [];
    for (const [i, t] of plan.entries()) {
      const r = await t.adapter.execute({ ...req, to: t.to!, idempotencyKey: `${req.idempotencyKey}:${i}` });
      if (r.ok) {
        moved.push(t);
        continue;
      }
      if (r.retryable && moved.length === 0) return r;
      return { ok: false, retryable: false, message: `${t.adapter.describe()} failed: ${r.message}. ${await this.undo(moved, req)}` };
    }
    return { ok: true, version: req.to, alreadyApplied: false, detail: plan.map((t) => `${t.adapter.describe()}: ${t.from ?? '?'} → ${t.to}`).join('; ') };
  }

  /** Puts moved targets back, newest first, and reports exactly where each one is now. */
  private async undo(moved: { adapter: RollbackAdapter; from: string | null; to: string | null }[], req: ExecuteRequest): Promise<string> {
    if (moved.length === 0) return 'No target had moved.';
    const lines: string[] = [];
    for (const [i, t] of [...moved].reverse().entries()) {
      if (!t.from) {
        lines.push(`${t.adapter.describe()} is on ${t.to} and could not be put back (its previous version is unknown)`);
        continue;
      }
      const r = await t.adapter.execute({ ...req, to: t.from, idempotencyKey: `${req.idempotencyKey}:undo:${i}`, reason: `undo: a later target of the coordinated rollback failed (${req.reason})` });
      lines.push(r.ok ? `${t.adapter.describe()} put back to ${t.from}` : `${t.adapter.describe()} is STILL on ${t.to}: putting it back failed (${r.message})`);
    }
    return `Targets: ${lines.join('; ')}.`;
  }

  async readBack(to: string): Promise<ReadBack> {
    const plan = await this.targetsFor(to);
    const reads = await Promise.all(plan.map((t, i) => (i === 0 ? t.adapter.readBack(to) : t.adapter.versions().then((v) => ({ confirmed: true, version: v.current, detail: `${t.adapter.describe()} on ${v.current ?? 'unknown'}` })))));
    return { confirmed: reads.every((r) => r.confirmed), version: reads[0]!.version, detail: reads.map((r) => r.detail).join('; ') };
  }
}
