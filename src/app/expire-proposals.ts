import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';
import { carryOut } from './carry-out.js';

/** Expires pending proposals past their time, so a stale approval can never execute. */
export async function expireProposals(deps: Deps): Promise<number> {
  let n = 0;
  for (const p of await deps.store.proposals.dueToExpire(deps.clock.now().toISOString())) {
    if ((await applyTransition(deps, p.id, { type: 'expire' }, 'backstop')).ok) n++;
  }
  return n;
}

/** Executes automatic proposals whose grace period ended without a Stop. */
export async function autoExecuteDue(deps: Deps): Promise<number> {
  let n = 0;
  for (const p of await deps.store.proposals.dueToAutoExecute(deps.clock.now().toISOString())) {
    const r = await applyTransition(deps, p.id, { type: 'auto_execute' }, 'policy');
    if (r.ok) {
      carryOut(deps, p.id, r.effects);
      n++;
    }
  }
  return n;
}
