import type { Measurement, MeasurementVerdict } from '../domain/analysis.js';
import { prep, type Db } from './db.js';

/** Every measurement the continuous analysis took, per service and SLI. */
export class MeasurementRepo {
  constructor(private readonly db: Db) {}

  add(m: { service: string; sli: string; at: string; verdict: MeasurementVerdict; value: number | null; baseline: number | null; reason: string; collecting?: boolean }): void {
    prep(this.db, 'INSERT INTO measurements (service, sli, at, verdict, value, baseline, reason, collecting) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(m.service, m.sli, m.at, m.verdict, m.value, m.baseline, m.reason, m.collecting ? 1 : 0);
  }

  /** The measurements since `since`, oldest first (the series the streak rules look at). */
  since(service: string, sli: string, since: string, limit = 200): Measurement[] {
    const rows = prep(this.db, 'SELECT at, verdict, reason, collecting FROM measurements WHERE service = ? AND sli = ? AND at >= ? ORDER BY seq DESC LIMIT ?').all(service, sli, since, limit) as (Omit<Measurement, 'collecting'> & { collecting: number })[];
    return rows.reverse().map(({ collecting, ...m }) => (collecting ? { ...m, collecting: true } : m));
  }
}
