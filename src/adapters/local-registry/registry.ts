import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { Db } from '../../store/db.js';

/**
 * The embedded model registry: versions, movable aliases (like MLflow's `@production`), an
 * alias history ledger and good/bad marks, in SQLite. Expected failures come back as results
 * with a closed set of codes; exceptions mean a bug or a broken database.
 */

export const VERSION_STATUSES = ['READY', 'PENDING_REGISTRATION', 'FAILED_REGISTRATION'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];
export type Mark = 'good' | 'bad';

export type RegistryErrorCode =
  | 'unknown_model'
  | 'unknown_version'
  | 'version_not_ready'
  | 'already_exists'
  | 'alias_not_set'
  /** The idempotency key was already used for a different model, alias or target. */
  | 'idempotency_conflict'
  /** The alias no longer points where the caller expected (someone promoted since). */
  | 'target_moved';

export type RegistryResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: RegistryErrorCode; message: string; current?: string | null };

export interface RegisteredVersion {
  model: string;
  version: string;
  status: VersionStatus;
  source: string | null;
  createdAt: Date;
  mark: Mark | null;
  /** Aliases pointing at this version now. */
  aliases: string[];
}

export interface AliasState {
  model: string;
  alias: string;
  version: string;
  updatedAt: Date;
  /** When the history row that made `version` current was written (falls back to `updatedAt`). */
  deployedAt: Date;
}

export interface HistoryEntry {
  seq: number;
  model: string;
  alias: string;
  from: string | null;
  to: string;
  at: Date;
  actor: string;
  reason: string;
  kind: 'promote' | 'rollback';
  idempotencyKey: string | null;
}

export interface PromoteResult {
  from: string | null;
  to: string;
  /** False when the alias already pointed at `to`: nothing was written. */
  changed: boolean;
}

export interface RollbackResult {
  from: string | null;
  to: string;
  /** True when this idempotency key had been applied before, or the alias was already at `to`. */
  alreadyApplied: boolean;
  at: Date;
}

const versionRow = z.object({
  model: z.string(),
  version: z.string(),
  status: z.enum(VERSION_STATUSES),
  source: z.string().nullable(),
  created_at: z.string(),
});

const aliasRow = z.object({ version: z.string(), updated_at: z.string() });

const historyRow = z.object({
  seq: z.number().int(),
  model: z.string(),
  alias: z.string(),
  from_version: z.string().nullable(),
  to_version: z.string(),
  at: z.string(),
  actor: z.string(),
  reason: z.string(),
  kind: z.enum(['promote', 'rollback']),
  idempotency_key: z.string().nullable(),
});

const markRow = z.object({ version: z.string(), mark: z.enum(['good', 'bad']) });

type VersionRow = z.infer<typeof versionRow>;
type HistoryRow = z.infer<typeof historyRow>;

function fail<T>(code: RegistryErrorCode, message: string): RegistryResult<T> {
  return { ok: false, code, message };
}

function ok<T>(value: T): RegistryResult<T> {
  return { ok: true, value };
}

function toEntry(r: HistoryRow): HistoryEntry {
  return {
    seq: r.seq,
    model: r.model,
    alias: r.alias,
    from: r.from_version,
    to: r.to_version,
    at: new Date(r.at),
    actor: r.actor,
    reason: r.reason,
    kind: r.kind,
    idempotencyKey: r.idempotency_key,
  };
}

export class LocalRegistry {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  register(model: string, version: string, opts: { source?: string; status?: VersionStatus } = {}): RegistryResult<RegisteredVersion> {
    return this.db.transaction((): RegistryResult<RegisteredVersion> => {
      if (this.versionRow(model, version)) return fail('already_exists', `${model} ${version} is already registered`);
      const at = this.clock.now();
      const status = opts.status ?? 'READY';
      this.db
        .prepare('INSERT INTO registry_versions (model, version, status, source, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(model, version, status, opts.source ?? null, at.toISOString());
      return ok({ model, version, status, source: opts.source ?? null, createdAt: at, mark: null, aliases: [] });
    }).immediate();
  }

  promote(model: string, version: string, opts: { alias?: string; actor: string; reason?: string }): RegistryResult<PromoteResult> {
    const alias = opts.alias ?? 'production';
    return this.db.transaction((): RegistryResult<PromoteResult> => {
      const checked = this.checkReady(model, version);
      if (!checked.ok) return checked;
      const current = this.aliasRow(model, alias)?.version ?? null;
      if (current === version) return ok({ from: current, to: version, changed: false });
      this.moveAlias(model, alias, current, version, { kind: 'promote', actor: opts.actor, reason: opts.reason ?? '', key: null });
      return ok({ from: current, to: version, changed: true });
    }).immediate();
  }

  markGood(model: string, version: string, actor: string): RegistryResult<{ version: string; mark: Mark }> {
    return this.mark(model, version, 'good', actor);
  }

  markBad(model: string, version: string, actor: string): RegistryResult<{ version: string; mark: Mark }> {
    return this.mark(model, version, 'bad', actor);
  }

  alias(model: string, alias: string): RegistryResult<AliasState> {
    return this.db.transaction((): RegistryResult<AliasState> => {
      if (!this.modelExists(model)) return fail('unknown_model', `no versions of ${model} are registered`);
      const row = this.aliasRow(model, alias);
      if (!row) return fail('alias_not_set', `alias ${alias} of ${model} is not set`);
      const made = this.db
        .prepare(
          `SELECT at FROM registry_history
           WHERE model = ? AND alias = ? AND to_version = ? AND (from_version IS NULL OR from_version != to_version)
           ORDER BY seq DESC LIMIT 1`,
        )
        .pluck()
        .get(model, alias, row.version);
      const updatedAt = new Date(row.updated_at);
      const deployedAt = typeof made === 'string' ? new Date(made) : updatedAt;
      return ok({ model, alias, version: row.version, updatedAt, deployedAt });
    })();
  }

  /** Versions in registration order, oldest first. */
  listVersions(model: string): RegistryResult<RegisteredVersion[]> {
    return this.db.transaction((): RegistryResult<RegisteredVersion[]> => {
      const rows = this.db
        .prepare('SELECT model, version, status, source, created_at FROM registry_versions WHERE model = ? ORDER BY created_at, rowid')
        .all(model)
        .map((r) => versionRow.parse(r));
      if (rows.length === 0) return fail('unknown_model', `no versions of ${model} are registered`);
      const marks = this.marks(model);
      const aliases = new Map<string, string[]>();
      for (const a of this.db.prepare('SELECT alias, version FROM registry_aliases WHERE model = ? ORDER BY alias').all(model)) {
        const { alias, version } = z.object({ alias: z.string(), version: z.string() }).parse(a);
        aliases.set(version, [...(aliases.get(version) ?? []), alias]);
      }
      return ok(
        rows.map((r) => ({
          model: r.model,
          version: r.version,
          status: r.status,
          source: r.source,
          createdAt: new Date(r.created_at),
          mark: marks.get(r.version) ?? null,
          aliases: aliases.get(r.version) ?? [],
        })),
      );
    })();
  }

  /** The alias's ledger, oldest first. */
  history(model: string, alias: string): RegistryResult<HistoryEntry[]> {
    return this.db.transaction((): RegistryResult<HistoryEntry[]> => {
      if (!this.modelExists(model)) return fail('unknown_model', `no versions of ${model} are registered`);
      return ok(this.historyRows(model, alias, 'ASC').map(toEntry));
    })();
  }

  /**
   * The version to roll back to, or null when none qualifies. The newest version marked good
   * that is older than current wins; otherwise walk the alias history backwards and take the
   * first READY version that is not current, not marked bad, and was not itself rolled back
   * away from (unless since marked good).
   */
  lastGood(model: string, alias: string): RegistryResult<string | null> {
    return this.db.transaction((): RegistryResult<string | null> => {
      if (!this.modelExists(model)) return fail('unknown_model', `no versions of ${model} are registered`);
      const current = this.aliasRow(model, alias)?.version;
      if (current === undefined) return fail('alias_not_set', `alias ${alias} of ${model} is not set`);

      // Row values keep registration order stable when two versions share a timestamp.
      const good = this.db
        .prepare(
          `SELECT v.version FROM registry_versions v
           JOIN registry_marks m ON m.model = v.model AND m.version = v.version
           WHERE v.model = ? AND m.mark = 'good' AND v.status = 'READY' AND v.version != ?
             AND (v.created_at, v.rowid) < (SELECT created_at, rowid FROM registry_versions WHERE model = ? AND version = ?)
           ORDER BY v.created_at DESC, v.rowid DESC LIMIT 1`,
        )
        .pluck()
        .get(model, current, model, current);
      if (typeof good === 'string') return ok(good);

      const marks = this.marks(model);
      const rows = this.historyRows(model, alias, 'DESC');
      const fledFrom = new Set(
        rows.filter((r) => r.kind === 'rollback' && r.from_version !== null && r.from_version !== r.to_version).map((r) => r.from_version),
      );
      for (const r of rows) {
        for (const candidate of [r.to_version, r.from_version]) {
          if (candidate === null || candidate === current) continue;
          const mark = marks.get(candidate);
          if (mark === 'bad') continue;
          if (fledFrom.has(candidate) && mark !== 'good') continue;
          if (this.versionRow(model, candidate)?.status !== 'READY') continue;
          return ok(candidate);
        }
      }
      return ok(null);
    })();
  }

  /**
   * Moves the alias back to `to` in one transaction. A key seen before for the same target
   * reports `alreadyApplied` and moves nothing, so a retried execution never rolls back twice.
   * With `expectedFrom`, an alias pointing elsewhere is refused (`target_moved`) in the same
   * transaction, so a promotion cannot slip in between the check and the move.
   */
  rollback(
    model: string,
    alias: string,
    to: string,
    req: { idempotencyKey: string; actor: string; reason: string; expectedFrom?: string | null },
  ): RegistryResult<RollbackResult> {
    return this.db.transaction((): RegistryResult<RollbackResult> => {
      const seen = this.db.prepare('SELECT * FROM registry_history WHERE idempotency_key = ?').get(req.idempotencyKey);
      if (seen !== undefined) {
        const prior = historyRow.parse(seen);
        if (prior.model === model && prior.alias === alias && prior.to_version === to) {
          return ok({ from: prior.from_version, to, alreadyApplied: true, at: new Date(prior.at) });
        }
        return fail(
          'idempotency_conflict',
          `idempotency key ${req.idempotencyKey} was already used to move ${prior.model} ${prior.alias} to ${prior.to_version}`,
        );
      }
      const current = this.aliasRow(model, alias)?.version;
      const expected = req.expectedFrom ?? null;
      if (expected !== null && current !== expected) {
        if (!this.modelExists(model)) return fail('unknown_model', `no versions of ${model} are registered`);
        return { ok: false, code: 'target_moved', current: current ?? null, message: `alias ${alias} of ${model} now points at ${current ?? '(unset)'}, not ${expected}` };
      }
      const checked = this.checkReady(model, to);
      if (!checked.ok) return checked;
      if (current === undefined) return fail('alias_not_set', `alias ${alias} of ${model} is not set: nothing to roll back`);
      // Recorded even when already at `to`, so the key stays bound to this outcome.
      const at = this.moveAlias(model, alias, current, to, { kind: 'rollback', actor: req.actor, reason: req.reason, key: req.idempotencyKey });
      return ok({ from: current, to, alreadyApplied: current === to, at });
    }).immediate();
  }

  private mark(model: string, version: string, mark: Mark, actor: string): RegistryResult<{ version: string; mark: Mark }> {
    return this.db.transaction((): RegistryResult<{ version: string; mark: Mark }> => {
      const found = this.checkExists(model, version);
      if (!found.ok) return found;
      this.db
        .prepare(
          `INSERT INTO registry_marks (model, version, mark, at, actor) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (model, version) DO UPDATE SET mark = excluded.mark, at = excluded.at, actor = excluded.actor`,
        )
        .run(model, version, mark, this.clock.now().toISOString(), actor);
      return ok({ version, mark });
    }).immediate();
  }

  private moveAlias(
    model: string,
    alias: string,
    from: string | null,
    to: string,
    entry: { kind: 'promote' | 'rollback'; actor: string; reason: string; key: string | null },
  ): Date {
    const at = this.clock.now();
    const iso = at.toISOString();
    this.db
      .prepare(
        `INSERT INTO registry_aliases (model, alias, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      )
      .run(model, alias, to, iso);
    this.db
      .prepare(
        `INSERT INTO registry_history (model, alias, from_version, to_version, at, actor, reason, kind, idempotency_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(model, alias, from, to, iso, entry.actor, entry.reason, entry.kind, entry.key);
    return at;
  }

  private checkExists(model: string, version: string): RegistryResult<VersionRow> {
    const row = this.versionRow(model, version);
    if (row) return ok(row);
    if (!this.modelExists(model)) return fail('unknown_model', `no versions of ${model} are registered`);
    return fail('unknown_version', `${model} has no version ${version}`);
  }

  private checkReady(model: string, version: string): RegistryResult<VersionRow> {
    const found = this.checkExists(model, version);
    if (found.ok && found.value.status !== 'READY') {
      return fail('version_not_ready', `${model} ${version} is ${found.value.status}, not READY`);
    }
    return found;
  }

  private modelExists(model: string): boolean {
    return this.db.prepare('SELECT 1 FROM registry_versions WHERE model = ? LIMIT 1').get(model) !== undefined;
  }

  private versionRow(model: string, version: string): VersionRow | undefined {
    const row = this.db.prepare('SELECT model, version, status, source, created_at FROM registry_versions WHERE model = ? AND version = ?').get(model, version);
    return row === undefined ? undefined : versionRow.parse(row);
  }

  private aliasRow(model: string, alias: string): z.infer<typeof aliasRow> | undefined {
    const row = this.db.prepare('SELECT version, updated_at FROM registry_aliases WHERE model = ? AND alias = ?').get(model, alias);
    return row === undefined ? undefined : aliasRow.parse(row);
  }

  private marks(model: string): Map<string, Mark> {
    const rows = this.db.prepare('SELECT version, mark FROM registry_marks WHERE model = ?').all(model);
    return new Map(rows.map((r) => markRow.parse(r)).map((m) => [m.version, m.mark]));
  }

  private historyRows(model: string, alias: string, order: 'ASC' | 'DESC'): HistoryRow[] {
    return this.db
      .prepare(`SELECT * FROM registry_history WHERE model = ? AND alias = ? ORDER BY seq ${order}`)
      .all(model, alias)
      .map((r) => historyRow.parse(r));
  }
}
