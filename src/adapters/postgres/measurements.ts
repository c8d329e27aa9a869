import type { Measurement } from '../../domain/analysis.js';
import type { MeasurementRepository } from '../../ports/store.js';
import { rows, type Sql } from './sql.js';

/** Every measurement the continuous analysis took, per service and SLI. */
export class PgMeasurements implements MeasurementRepository {
  constructor(private readonly sql: Sql) {}

  async add(m: Parameters<MeasurementRepository['add']>[0]): Promise<void> {
    await this.sql.query('INSERT INTO measurements (service, sli, at, verdict, value, baseline, reason, collecting) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [m.service, m.sli, m.at, m.verdict, m.value, m.baseline, m.reason, m.collecting ? 1 : 0]);
  }

  /** Oldest first: the series the streak rules look at. */
  async since(service: string, sli: string, since: string, limit = 200): Promise<Measurement[]> {
    const found = (await rows(this.sql, 'SELECT at, verdict, reason, collecting FROM measurements WHERE service = $1 AND sli = $2 AND at >= $3 ORDER BY seq DESC LIMIT $4',
      [service, sli, since, limit])) as (Omit<Measurement, 'collecting'> & { collecting: number })[];
    return found.reverse().map(({ collecting, ...m }) => (collecting ? { ...m, collecting: true } : m));
  }
}
