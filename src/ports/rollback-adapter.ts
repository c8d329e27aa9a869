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
}

export type ExecuteOutcome =
  | { ok: true; version: string; detail: string; alreadyApplied: boolean }
  | { ok: false; retryable: boolean; message: string };

export interface ExecuteRequest {
  to: string;
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
  /** Reads the target back after execution to confirm it serves `to`. */
  readBack(to: string): Promise<ReadBack>;
  /**
   * Present only where the target can split traffic: send `percent` of it to `to`
   * (100 completes the rollback). Same idempotency rules as `execute`.
   */
  shiftTraffic?(req: ExecuteRequest & { percent: number }): Promise<ExecuteOutcome>;
}
