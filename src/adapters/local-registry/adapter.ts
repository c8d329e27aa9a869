import type { ExecuteOutcome, ExecuteRequest, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../../ports/rollback-adapter.js';
import { targetMoved } from '../target-moved.js';
import type { LocalRegistry } from './registry.js';

export interface LocalRegistryTarget {
  model: string;
  alias: string;
}

// SQLite contention is transient; everything else thrown by the driver is a bug.
const RETRYABLE_SQLITE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

function sqliteCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Rolls a model back by moving its alias in the embedded registry. */
export class LocalRegistryAdapter implements RollbackAdapter {
  readonly kind = 'local-registry';

  constructor(
    private readonly registry: LocalRegistry,
    private readonly target: LocalRegistryTarget,
  ) {}

  describe(): string {
    return `local-registry model ${this.target.model} alias ${this.target.alias}`;
  }

  async versions(): Promise<VersionState> {
    const { model, alias } = this.target;
    const current = this.registry.alias(model, alias);
    // No versions or no alias yet: the registry cannot tell, which is not an error.
    if (!current.ok) return { current: null, lastGood: null, deployedAt: null };
    const lastGood = this.registry.lastGood(model, alias);
    return {
      current: current.value.version,
      lastGood: lastGood.ok ? lastGood.value : null,
      deployedAt: current.value.deployedAt,
    };
  }

  async preflight(to: string): Promise<PreflightResult> {
    const { model } = this.target;
    const listed = this.registry.listVersions(model);
    const found = listed.ok ? listed.value.find((v) => v.version === to) : undefined;
    const checks = [
      { name: 'target version registered', ok: Boolean(found), detail: found ? `${model} ${to} is registered` : `${model} has no version ${to}` },
      { name: 'target version ready', ok: found?.status === 'READY', detail: found ? `status ${found.status}` : 'not registered' },
      { name: 'target version not marked bad', ok: found?.mark !== 'bad', detail: found?.mark === 'bad' ? `${to} is marked bad` : found?.mark === 'good' ? `${to} is marked good` : `nobody marked ${to} bad` },
    ];
    return { ok: checks.every((c) => c.ok), checks };
  }

  async readBack(to: string): Promise<ReadBack> {
    const { model, alias } = this.target;
    const current = this.registry.alias(model, alias);
    const version = current.ok ? current.value.version : null;
    return { confirmed: version === to, version, detail: `alias ${alias} of ${model} points at ${version ?? '(unset)'}` };
  }

  async plan(to: string): Promise<RollbackPlan> {
    const { model, alias } = this.target;
    const current = this.registry.alias(model, alias);
    const from = current.ok ? current.value.version : null;
    return {
      target: this.describe(),
      from,
      to,
      steps: [
        `check ${to} exists and is READY`,
        `move alias ${alias} of ${model} from ${from ?? '(unset)'} to ${to}`,
        'record in registry history',
      ],
    };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    const { model, alias } = this.target;
    let result;
    try {
      result = this.registry.rollback(model, alias, req.to, {
        idempotencyKey: req.idempotencyKey,
        actor: req.actor,
        reason: req.reason,
        // Compared inside the registry's write transaction: nothing can promote in between.
        expectedFrom: req.expectedFrom,
      });
    } catch (err) {
      const code = sqliteCode(err);
      if (code !== undefined && RETRYABLE_SQLITE.has(code)) {
        return { ok: false, retryable: true, message: `registry database is busy (${code}); try again` };
      }
      throw err;
    }
    if (!result.ok && result.code === 'target_moved') return targetMoved(this.describe(), result.current ?? null, req.expectedFrom);
    if (!result.ok) return { ok: false, retryable: false, message: `${result.message} [${result.code}]` };
    const { from, to, alreadyApplied } = result.value;
    const detail = alreadyApplied
      ? `alias ${alias} of ${model} already at ${to}; nothing moved (key ${req.idempotencyKey})`
      : `moved alias ${alias} of ${model} from ${from ?? '(unset)'} to ${to}`;
    return { ok: true, version: to, detail, alreadyApplied };
  }
}
