/**
 * Guards on automatic rollback: each is a rule over plain facts with a reason people can read.
 * Table-tested; the first guard that refuses wins, and a refusal falls back to asking humans.
 */
export interface PastRollback {
  at: string;
  from: string | null;
  to: string;
  automatic: boolean;
}

export interface FreezeWindow {
  from: string;
  to: string;
  reason: string;
}

export interface GuardPolicy {
  /** No automatic rollback this long after any rollback of the service. */
  cooldownMs: number;
  maxAutomaticPerDay: number;
  /** A version rolled back from within this window is never a target again (no ping-pong). */
  pingPongWindowMs: number;
  freeze: readonly FreezeWindow[];
}

export interface GuardFacts {
  now: Date;
  target: string;
  history: readonly PastRollback[];
  openProposalId: string | null;
}

export type GuardCode = 'open_proposal' | 'freeze' | 'cooldown' | 'daily_limit' | 'ping_pong';
export type GuardResult = { ok: true } | { ok: false; code: GuardCode; reason: string };

const DAY = 86_400_000;

export function checkAutomaticRollback(policy: GuardPolicy, f: GuardFacts): GuardResult {
  const now = f.now.getTime();
  if (f.openProposalId) return { ok: false, code: 'open_proposal', reason: `proposal ${f.openProposalId} is already open; the new trigger joins it` };
  const freeze = policy.freeze.find((w) => Date.parse(w.from) <= now && now < Date.parse(w.to));
  if (freeze) return { ok: false, code: 'freeze', reason: `freeze window until ${freeze.to} (${freeze.reason}): automatic action is off` };
  const last = [...f.history].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
  if (last && now - Date.parse(last.at) < policy.cooldownMs) {
    return { ok: false, code: 'cooldown', reason: `last rollback at ${last.at} is within the ${Math.round(policy.cooldownMs / 60_000)} min cool-down` };
  }
  const today = f.history.filter((h) => h.automatic && now - Date.parse(h.at) < DAY).length;
  if (today >= policy.maxAutomaticPerDay) return { ok: false, code: 'daily_limit', reason: `${today} automatic rollbacks in the last 24 h (limit ${policy.maxAutomaticPerDay})` };
  const pingPong = f.history.find((h) => h.from === f.target && now - Date.parse(h.at) < policy.pingPongWindowMs);
  if (pingPong) return { ok: false, code: 'ping_pong', reason: `${f.target} was itself rolled back from at ${pingPong.at}; not rolling back to it` };
  return { ok: true };
}
