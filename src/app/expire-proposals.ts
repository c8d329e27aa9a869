import type { Deps } from './deps.js';
import { applyTransition } from './apply-transition.js';

/** Expires pending proposals past their time, so a stale approval can never execute. */
export function expireProposals(deps: Deps): number {
  let n = 0;
  for (const p of deps.store.proposals.dueToExpire(deps.clock.now().toISOString())) {
    if (applyTransition(deps, p.id, { type: 'expire' }, 'backstop').ok) n++;
  }
  return n;
}
