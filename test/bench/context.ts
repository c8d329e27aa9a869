/**
 * What every figure of one repetition is measured with: the Slack workspace, the baseline servers
 * (started once per run; their figures are measured again in each repetition), the load
 * generators, and factories for databases and Backstop processes.
 */
import { join } from 'node:path';
import { openDb } from '../../src/store/db.js';
import { AM_TOKEN, APPROVERS, BOT_TOKEN, SIGNING_SECRET, seedRegistry, service } from './common.js';
import { Host, type Workspace } from './hosts.js';
import type { Latency } from './load.js';
import type { LoadGenerators } from './loadgen.js';
import type { Figure } from './report.js';
import { seedPastIncidents, type SeedCounts } from './seed.js';
import { WORK } from './settings.js';

export interface Policies {
  /** Figures 1–4: one fresh service per sample and per click round. */
  main: string;
  /** Growth, memory and cold start. */
  growth: string;
  growthFile: string;
  growthServices: number;
  ackServices: number[];
}

export interface Context {
  rep: number;
  ws: Workspace;
  slack: Host;
  bolt: Host;
  bare: Host;
  gen: LoadGenerators;
  policies: Policies;
  figures: Figure[];
  notes: string[];
  details: Record<string, unknown>;
  /** This repetition's empty-database figures, the baselines of the growth rows. */
  empty: { alertsPerSecond?: number; proposal?: Latency };
}

export const backstopEnv = (ws: Workspace, dbFile: string): Record<string, string> => ({
  SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: ws.url, PORT: '0', HOST: '127.0.0.1',
  BACKSTOP_DB: dbFile, ALERTMANAGER_TOKEN: AM_TOKEN, LOG_LEVEL: 'info', BACKSTOP_AUDIT_KEY: 'bench-audit-key-'.padEnd(48, '0'),
});

/** A database with the registry seeded and `incidents` past incidents; a name of its own per repetition. */
export function newDb(ctx: Context, name: string, incidents: number): { file: string; seeded?: SeedCounts } {
  const file = join(WORK, `${name}-r${ctx.rep}.db`);
  const db = openDb(file);
  seedRegistry(db);
  const targets = Array.from({ length: ctx.policies.growthServices }, (_, i) => ({ service: service(i).service, channelId: service(i).channel, model: service(i).service }));
  const seeded = incidents > 0 ? seedPastIncidents(db, incidents, targets, APPROVERS.map((u) => u.id)) : undefined;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { file, seeded };
}

export function startBackstop(ctx: Context, label: string, dbFile: string, policy: string, extra: { env?: Record<string, string>; pacing?: { channelIntervalMs: number; channelBurst: number } } = {}): Promise<Host> {
  const l = `${label}-r${ctx.rep}`;
  return Host.start(l, { kind: 'backstop', env: { ...backstopEnv(ctx.ws, dbFile), ...extra.env }, policyYaml: policy, logFile: join(WORK, `${l}.log`), pacing: extra.pacing });
}
