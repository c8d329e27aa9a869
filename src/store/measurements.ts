import type { Measurement, MeasurementVerdict } from '../domain/analysis.js';
import { prep, type Db } from './db.js';

/** Every measurement the continuous analysis took, per service and SLI. */
export class MeasurementRepo {
  constructor(private readonly db: Db) {}

  add(m: { service: string; sli: string; at: string; verdict: MeasurementVerdict; value: number | null; baseline: number | null; reason: string }): void {
    prep(this.db, 'INSERT INTO measurements (service, sli, at, verdict, value, baseline, reason) VALUES (?, ?, ?, ?, ?, ?, ?)').run(m.service, m.sli, m.at, m.verdict, m.value, m.baseline, m.reason);
  }

  /** The measurements since `since`, oldest first (the series the streak rules look at). */
  since(service: string, sli: string, since: string, limit = 200): Measurement[] {
    const rows = prep(this.db, 'SELECT at, verdict, reason FROM measurements WHERE service = ? AND sli = ? AND at >= ? ORDER BY seq DESC LIMIT ?').all(service, sli, since, limit) as Measurement[];
    return rows.reverse();
  }
}
