import type { ExecuteOutcome } from '../ports/rollback-adapter.js';
import type { LedgerEntry } from './ledger.js';

/**
 * The one refusal every adapter shares: the target no longer serves what approvers saw, so
 * nothing is moved. Kept in one place so every adapter words it, and decides it, the same way.
 */

export type Refusal = Extract<ExecuteOutcome, { ok: false }>;

/**
 * True when the target serves something other than `expectedFrom`. Null `expectedFrom`: the
 * proposal could not tell what served, so there is nothing to compare. `alsoFine` lists other
 * versions that do not count as a move (e.g. `to`, part-way there under this proposal's stages).
 */
export function hasMoved(expectedFrom: string | null | undefined, current: string | null, alsoFine: readonly string[] = []): boolean {
  // Undefined too: a caller built before `expectedFrom` existed has nothing to compare either.
  if (expectedFrom === null || expectedFrom === undefined) return false;
  return current !== expectedFrom && !(current !== null && alsoFine.includes(current));
}

/** `done`: steps already taken when the move was noticed (e.g. an aborted canary); usually none. */
export function targetMoved(target: string, current: string | null, expectedFrom: string | null, done: readonly string[] = [], note = ''): Refusal {
  return {
    ok: false,
    retryable: false,
    code: 'target_moved',
    current,
    message: `${target} now serves ${current ?? 'no version it can name'}, not ${expectedFrom ?? '(unknown)'} as approved; ${stopped(done)}${note}`,
  };
}

/** The plan's basis no longer holds although the version may read the same (e.g. a new pod template). */
export function planOutdated(target: string, current: string | null, changes: readonly string[], done: readonly string[] = []): Refusal {
  return {
    ok: false,
    retryable: false,
    code: 'target_moved',
    current,
    message: `${target} changed since the plan people approved (${changes.join(', ')}); it serves ${current ?? 'no version it can name'}; ${stopped(done)}`,
  };
}

function stopped(done: readonly string[]): string {
  return done.length === 0 ? 'nothing was changed' : `stopped after: ${done.join(', ')}`;
}

// Staged rollbacks call shiftTraffic with `<proposal>:<percent>`; adapters may add `#<percent>`.
const STAGE_SUFFIX = /^:\d{1,3}(#\d{1,3})?$/;

/** The proposal an idempotency key belongs to: a stage key `<proposal>:<percent>[#<percent>]` names its proposal. */
export function proposalOf(key: string): string {
  return key.replace(/:\d{1,3}(#\d{1,3})?$/, '');
}

/**
 * Whether an earlier stage of this key's proposal already sent traffic to `to`: then a target
 * part-way to `to` is where this proposal put it, not somewhere it moved to behind our back.
 */
export function stagedTowards(history: readonly LedgerEntry[], key: string, to: string): boolean {
  const proposal = proposalOf(key);
  return history.some((e) => {
    const k = e.idempotencyKey;
    return e.kind === 'shift' && e.version === to && k !== null && k.startsWith(proposal) && STAGE_SUFFIX.test(k.slice(proposal.length));
  });
}
