import { z } from 'zod';
import type { ExecuteOutcome, ExecuteRequest, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../ports/rollback-adapter.js';
import { parseJson } from './support.js';
import { hasMoved, targetMoved } from './target-moved.js';

/**
 * Several targets that roll back together, in the stated order (e.g. serving revision, then the
 * registry alias, then a feature flag). The first target decides the versions shown to people;
 * every other target rolls to its own last-good version. All are pre-flighted before any moves;
 * if one fails, the ones already moved are put back, and the message says where each stands.
 *
 * The plan's basis records what each target served and would roll to when people saw it, so
 * execution moves exactly that, and refuses before moving anything if any target moved since.
 */

interface Leg {
  adapter: RollbackAdapter;
  /** What it serves now. */
  from: string | null;
  to: string | null;
  /** What people saw it serve (the primary: the proposal's `expectedFrom`; the others: the plan's). */
  expectedFrom: string | null;
  planned?: string;
}

const basisSchema = z.object({
  kind: z.literal('coordinated'),
  targets: z.array(z.object({ from: z.string().nullable(), to: z.string().nullable(), basis: z.string().optional() })),
});

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
    const shown: z.infer<typeof basisSchema>['targets'] = [];
    for (const [i, t] of plan.entries()) {
      const p = await t.adapter.plan(t.to ?? '(unknown)');
      steps.push(...p.steps.map((s) => `${i + 1}. ${s}`));
      shown.push({ from: t.from, to: t.to, basis: p.basis });
    }
    steps.push('refuse before moving anything if a target no longer serves what is shown here');
    steps.push('if a target fails: put the targets already moved back to where they were');
    return { target: this.describe(), from: plan[0]!.from, to, steps, basis: JSON.stringify({ kind: this.kind, targets: shown }) };
  }

  /** Each target with what people saw: the plan's versions when it is given and fits, else what serves now. */
  private async legs(req: ExecuteRequest): Promise<{ legs: Leg[]; shown: boolean }> {
    const parsed = basisSchema.safeParse(parseJson(req.planned ?? ''));
    const shown = parsed.success && parsed.data.targets.length === this.targets.length ? parsed.data.targets : undefined;
    const live = await this.targetsFor(req.to);
    const legs = live.map((t, i) => ({
      adapter: t.adapter,
      from: t.from,
      to: i === 0 ? req.to : (shown?.[i]?.to ?? t.to),
      expectedFrom: i === 0 ? (req.expectedFrom ?? null) : (shown?.[i]?.from ?? null),
      planned: shown?.[i]?.basis,
    }));
    return { legs, shown: shown !== undefined };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    const { legs, shown } = await this.legs(req);
    const missing = legs.find((t) => !t.to);
    if (missing) return { ok: false, retryable: false, message: `${missing.adapter.describe()} has no last-good version; nothing was moved` };
    // Checked for every target before the first moves. On `to` may be our own earlier attempt: its adapter decides by key.
    const movedAway = legs.findIndex((t) => hasMoved(t.expectedFrom, t.from, [t.to!]));
    if (movedAway >= 0) {
      const t = legs[movedAway]!;
      const refusal = targetMoved(t.adapter.describe(), t.from, t.expectedFrom);
      // `current` speaks for the primary only; a secondary's version is in the message.
      return movedAway === 0 ? refusal : { ok: false, retryable: false, code: 'target_moved', message: refusal.message };
    }
    const moved: Leg[] = [];
    let replayed = true;
    for (const [i, t] of legs.entries()) {
      const leg = (to: string) => t.adapter.execute({ ...req, to, expectedFrom: t.expectedFrom, planned: t.planned, idempotencyKey: `${req.idempotencyKey}:${i}` });
      let r = await leg(t.to!);
      // Without a plan a secondary's last-good is worked out again, and after our own move it is the
      // one before that. On a replay (everything before it already applied) it is where it was put.
      if (!r.ok && !shown && i > 0 && replayed && t.from !== null && t.from !== t.to) r = await leg(t.from);
      if (r.ok) {
        moved.push(t);
        replayed &&= r.alreadyApplied;
        continue;
      }
      if (moved.length === 0) return { ...r, message: `${t.adapter.describe()} failed: ${r.message}. No target had moved.` };
      const failure = { ok: false as const, retryable: false, message: `${t.adapter.describe()} failed: ${r.message}. ${await this.undo(moved, req)}` };
      return r.code === 'target_moved' ? { ...failure, code: r.code } : failure;
    }
    return { ok: true, version: req.to, alreadyApplied: replayed, detail: legs.map((t) => `${t.adapter.describe()}: ${t.from ?? '?'} → ${t.to}`).join('; ') };
  }

  /** Puts moved targets back, newest first, and reports exactly where each one is now. */
  private async undo(moved: Leg[], req: ExecuteRequest): Promise<string> {
    const lines: string[] = [];
    for (const [i, t] of [...moved].reverse().entries()) {
      if (!t.from) {
        lines.push(`${t.adapter.describe()} is on ${t.to} and could not be put back (its previous version is unknown)`);
        continue;
      }
      const r = await t.adapter.execute({
        ...req,
        to: t.from,
        expectedFrom: t.to,
        planned: undefined,
        idempotencyKey: `${req.idempotencyKey}:undo:${i}`,
        reason: `undo: a later target of the coordinated rollback failed (${req.reason})`,
      });
      lines.push(r.ok ? `${t.adapter.describe()} put back to ${t.from}` : `${t.adapter.describe()} is STILL on ${t.to}: putting it back failed (${r.message})`);
    }
    return `Targets: ${lines.join('; ')}.`;
  }

  async readBack(to: string): Promise<ReadBack> {
    const plan = await this.targetsFor(to);
    const reads = await Promise.all(plan.map((t, i) => (i === 0 ? t.adapter.readBack(to) : t.adapter.versions().then((v) => ({ confirmed: true, version: v.current, detail: `${t.adapter.describe()} on ${v.current ?? 'unknown'}` })))));
    const primary = reads[0]!;
    const out: ReadBack = { confirmed: reads.every((r) => r.confirmed), version: primary.version, detail: reads.map((r) => r.detail).join('; ') };
    // The primary decides what people are told; a primary that cannot report its version cannot confirm for all.
    if ('canConfirm' in primary && primary.canConfirm === false) out.canConfirm = false;
    return out;
  }
}
