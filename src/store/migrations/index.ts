import { core } from './001-core.js';
import { localRegistry } from './002-local-registry.js';
import { reliability } from './003-reliability.js';
import { adapterLedger } from './004-adapter-ledger.js';
import { drills } from './005-drills.js';
import { keyedAudit } from './006-keyed-audit.js';
import { proposalVerification } from './007-proposal-verification.js';
import { measurementCollecting } from './008-measurement-collecting.js';
import { leases } from './009-leases.js';
import { outboxInFlight } from './010-outbox-in-flight.js';
import { incidentHeader } from './011-incident-header.js';
import { alertsByArrival } from './012-alerts-by-arrival.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append-only: a released migration is never edited, only followed by a new one. */
export const migrations: readonly Migration[] = [core, localRegistry, reliability, adapterLedger, drills, keyedAudit, proposalVerification, measurementCollecting, leases, outboxInFlight, incidentHeader, alertsByArrival];
