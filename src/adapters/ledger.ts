import { z } from 'zod';
import type { Clock } from '../ports/clock.js';
import type { Db } from '../store/db.js';

/**
 * Backstop's own record of what a rollback target pointed at, for targets that keep no
 * history (an MLflow alias, a KServe storageUri). One row per change Backstop saw or made.
 * `target` is a stable id such as `mlflow:https://mlflow.example/fraud-scorer@production`.
 */

export type LedgerKind = 'observed' | 'rollback' | 'shift';

export interface LedgerEntry {
  target: string;
  version: string;
  at: Date;
  actor: string;
  kind: LedgerKind;
  from: string | null;
  idempotencyKey: string | null;
}

const row = z.object({
  target: z.string(),
  version: z.string(),
  at: z.string(),
  actor: z.string(),
  kind: z.enum(['observed', 'rollback', 'shift']),
  from_version: z.string().nullable(),
  idempotency_key: z.string().nullable(),
});

function toEntry(r: z.infer<typeof row>): LedgerEntry {
  return { target: r.target, version: r.version, at: new Date(r.at), actor: r.actor, kind: r.kind, from: r.from_version, idempotencyKey: r.idempotency_key };
}

export class TargetLedger {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Newest first. */
  history(target: string, limit = 200): LedgerEntry[] {
    return this.db
      .prepare('SELECT * FROM target_ledger WHERE target = ? ORDER BY at DESC, rowid DESC LIMIT ?')
      .all(target, limit)
      .map((r) => toEntry(row.parse(r)));
  }

  latest(target: string): LedgerEntry | undefined {
    return this.history(target, 1)[0];
  }

  byKey(target: string, idempotencyKey: string): LedgerEntry | undefined {
    const r = this.db.prepare('SELECT * FROM target_ledger WHERE target = ? AND idempotency_key = ?').get(target, idempotencyKey);
    return r === undefined ? undefined : toEntry(row.parse(r));
  }

  /** Records that the target was seen at `version`, unless that is already the newest row. */
  observe(target: string, version: string, actor = 'backstop'): void {
    this.db.transaction(() => {
      if (this.latest(target)?.version === version) return;
      this.insert({ target, version, actor, kind: 'observed', from: null, idempotencyKey: null });
    }).immediate();
  }

  record(entry: Omit<LedgerEntry, 'at'>): LedgerEntry {
    return this.db.transaction(() => {
      const at = this.insert(entry);
      return { ...entry, at };
    }).immediate();
  }

  /**
   * The newest version the target pointed at before `current`, skipping versions a rollback
   * moved away from: those were judged bad, and offering them again would undo the rollback.
   */
  lastGood(target: string, current: string | null): string | null {
    const rows = this.history(target);
    const fled = new Set(rows.filter((r) => r.kind === 'rollback' && r.from !== null && r.from !== r.version).map((r) => r.from));
    for (const r of rows) {
      if (r.version === current || fled.has(r.version)) continue;
      return r.version;
    }
    return null;
  }

  /** When Backstop itself moved the target to `version` (a rollback), if the newest row says so. */
  movedAt(target: string, version: string): Date | null {
    const latest = this.latest(target);
    return latest && latest.version === version && latest.kind !== 'observed' ? latest.at : null;
  }

  private insert(entry: Omit<LedgerEntry, 'at'>): Date {
    const at = this.clock.now();
    this.db
      .prepare('INSERT INTO target_ledger (target, version, at, actor, kind, from_version, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.target, entry.version, at.toISOString(), entry.actor, entry.kind, entry.from, entry.idempotencyKey);
    return at;
  }
}
