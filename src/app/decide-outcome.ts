import type { ResolvedService } from '../config/policy.js';
import { checkAutomaticRollback } from '../domain/guards.js';
import type { Deps } from './deps.js';

export interface Outcome {
  automatic: boolean;
  graceMs: number;
  /** Why an automatic rollback was wanted but refused by a guard. */
  refusal?: string;
}

/**
 * Whether a new proposal may run on its own: only in automatic mode, for analysis triggers or
 * alerts of an allowed severity, and only if every guard agrees. Otherwise humans decide.
 */
export async function decideOutcome(deps: Deps, svc: ResolvedService, t: { target: string; severity: string | null; trigger: 'alert' | 'analysis' | 'person' }): Promise<Outcome> {
  const d = svc.decision;
  if (!d || d.mode !== 'automatic' || t.trigger === 'person') return { automatic: false, graceMs: 0 };
  if (t.trigger === 'alert' && !(t.severity && d.automaticSeverities.includes(t.severity))) return { automatic: false, graceMs: 0 };
  const history = (await deps.store.proposals.executedFor(svc.name)).map((p) => ({ at: p.executedAt!, from: p.fromVersion, to: p.toVersion, automatic: Boolean(p.automatic) }));
  const guard = checkAutomaticRollback(
    { cooldownMs: d.cooldown, maxAutomaticPerDay: d.maxAutomaticPerDay, pingPongWindowMs: d.pingPongWindow, freeze: d.freeze },
    { now: deps.clock.now(), target: t.target, history, openProposalId: null },
  );
  return guard.ok ? { automatic: true, graceMs: d.grace } : { automatic: false, graceMs: 0, refusal: guard.reason };
}
