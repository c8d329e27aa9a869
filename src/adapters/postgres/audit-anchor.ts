import { existsSync } from 'node:fs';
import { keepStaleHead, readHeadFile, writeHeadFile } from '../../store/audit-anchor.js';
import { anchorProblem } from '../../store/audit-chain.js';
import type { AuditKey } from '../../store/audit-key.js';
import { readAuditHead } from './audit-trail.js';
import { anchorFacts } from './audit-verify.js';
import type { Sql } from './sql.js';

/**
 * Writes the chain head to the anchor file (the SQLite store's format) after each commit that
 * appended rows. Writes take turns, so this process never replaces a head with an older one.
 */
export class PgHeadAnchor {
  private queue: Promise<void> = Promise.resolve();
  private checked = false;
  private failing = false;

  constructor(private readonly sql: Sql, private readonly key: AuditKey, readonly file: string, private readonly onError?: (error: unknown, file: string) => void) {}

  /** Never rejects: the rows are committed whatever happens to the file. */
  afterCommit(): Promise<void> {
    const run = this.queue.then(() => this.write());
    this.queue = run;
    return run;
  }

  /** Resolves once every write asked for so far is done. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async write(): Promise<void> {
    try {
      if (!this.checked) await this.keepStaleHead();
      this.checked = true;
      writeHeadFile(this.file, await readAuditHead(this.sql, this.key));
      this.failing = false;
    } catch (e) {
      // Warn once per outage, not once per transaction.
      if (this.failing) return;
      this.failing = true;
      this.report(e);
    }
  }

  /** Before the first write: a head the database no longer holds is evidence, kept aside rather than overwritten. */
  private async keepStaleHead(): Promise<void> {
    if (!existsSync(this.file)) return;
    const r = readHeadFile(this.file);
    const problem = r.ok ? anchorProblem(this.key, r.head, await anchorFacts(this.sql, r.head.seq))?.reason : r.problem;
    if (!problem) return;
    const kept = keepStaleHead(this.file);
    this.report(new Error(`the audit head in ${this.file} no longer matches the database (${problem}); kept it as ${kept}`));
  }

  private report(e: unknown): void {
    if (this.onError) this.onError(e, this.file);
    else process.emitWarning(`audit head ${this.file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
