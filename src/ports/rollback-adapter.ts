/**
 * A rollback target. One instance serves one service, built from that service's
 * `adapter:` block in the policy. Destructive calls take the proposal id as the
 * idempotency key: executing the same key twice must not roll back twice.
 */
export interface VersionState {
  /** Version serving now, or null when the target cannot tell. */
  current: string | null;
  /** Newest version known to have been good before `current`, or null when none is known. */
  lastGood: string | null;
  /** When `current` was deployed, if the target knows (the SLI baseline is taken before it). */
  deployedAt: Date | null;
}

export interface RollbackPlan {
  target: string;
  from: string | null;
  to: string;
  /** Human-readable steps, logged and shown in Slack exactly as executed. */
  steps: string[];
  /**
   * What the plan was computed against, opaque to Backstop (e.g. `revision=7;resourceVersion=1234`).
   * Stored with the proposal when people see it, and handed back as `ExecuteRequest.planned`, so an
   * adapter executes what was shown instead of re-planning against a target that moved.
   */
  basis?: string;
}

/** Closed codes for failures Backstop treats differently from a plain error. */
export type ExecuteFailureCode =
  /** The target no longer serves `expectedFrom` (or no longer matches `planned`): nobody approved acting on what it serves now. */
  | 'target_moved';

export type ExecuteOutcome =
  | { ok: true; version: string; detail: string; alreadyApplied: boolean }
  | {
    ok: false;
    retryable: boolean;
    message: string;
    code?: ExecuteFailureCode;
    /** With `target_moved`: the version the target serves now, when it says. */
    current?: string | null;
  };

export interface ExecuteRequest {
  to: string;
  /**
   * The version approvers saw serving (the proposal's `fromVersion`). The adapter compares it with the
   * target at execution time and, if the target serves something else, moves nothing and returns
   * `{ ok: false, retryable: false, code: 'target_moved', current }`. Null: the proposal could not tell
   * what was serving, so there is nothing to compare. An idempotent replay of a key that already
   * executed is checked first and still answers `alreadyApplied` (the target is on `to` by our doing).
   */
  expectedFrom: string | null;
  /** `RollbackPlan.basis` from proposal time, when the adapter gave one. */
  planned?: string;
  idempotencyKey: string;
  /** Who approved, and why; adapters record it where the target allows (commit message, tag). */
  actor: string;
  reason: string;
}

export interface PreflightCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** Whether rolling back to a version can be attempted, and why not; shown in the proposal before anyone approves. */
export interface PreflightResult {
  ok: boolean;
  checks: PreflightCheck[];
}

export interface ReadBack {
  /** True when the target now serves `to`. */
  confirmed: boolean;
  version: string | null;
  detail: string;
  /**
   * False when the target has no way to report what it serves (an http-webhook without
   * `versionsUrl`): verification then says "the target cannot confirm its version; SLIs only"
   * and never "Verified". Absent means true.
   */
  canConfirm?: boolean;
}

export interface RollbackAdapter {
  readonly kind: string;
  /** One line naming the target, e.g. `local-registry model fraud-scorer alias production`. */
  describe(): string;
  versions(): Promise<VersionState>;
  /** Dry run: the plan for rolling back to `to`, touching nothing. */
  plan(to: string): Promise<RollbackPlan>;
  execute(req: ExecuteRequest): Promise<ExecuteOutcome>;
  /**
   * Checks the rollback can work before anyone approves: the target version is known, exists,
   * is ready, and (where the target exposes it) has a compatible input signature.
   */
  preflight(to: string): Promise<PreflightResult>;
  /**
   * Reads the target back to see whether it serves `to`. Backstop polls it after execution until it
   * confirms or a bounded window passes (a rollout takes time), so it must be cheap and touch nothing.
   * It may throw for a transient failure; that poll counts as "not yet".
   */
  readBack(to: string): Promise<ReadBack>;
  /**
   * Present only where the target can split traffic: send `percent` of it to `to`
   * (100 completes the rollback). Same idempotency rules as `execute`. `expectedFrom` is the
   * version people saw; a target already part-way to `to` under this proposal's earlier stages
   * (keys `<proposal>:<percent>`) has not moved away from it.
   */
  shiftTraffic?(req: ExecuteRequest & { percent: number }): Promise<ExecuteOutcome>;
}
