import { prep, type Db } from './db.js';
import type { Deploy } from '../ports/store.js';

export type { Deploy } from '../ports/store.js';

/** Deploys reported over `POST /deploys`, newest last. */
export class DeployRepo {
  constructor(private readonly db: Db) {}

  record(d: Deploy, receivedAt: string): void {
    prep(this.db, 'INSERT INTO deploys (service, version, at, by, received_at) VALUES (?, ?, ?, ?, ?)').run(d.service, d.version, d.at, d.by, receivedAt);
  }

  /** Newest first. */
  recent(service: string, limit = 20): Deploy[] {
    return prep(this.db, 'SELECT service, version, at, by FROM deploys WHERE service = ? ORDER BY at DESC, seq DESC LIMIT ?').all(service, limit) as Deploy[];
  }
}
