/**
 * What every benchmark process agrees on: secrets, the synthetic Slack workspace (approvers,
 * one channel per service), the policy (many services, so each latency sample gets a fresh
 * incident), the registry every service rolls back in, and the messages between the runner
 * and the bot it measures (`host.ts`).
 */
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import type { SlackEmulator } from '../../src/sandbox/slack-emulator.js';
import type { Db } from '../../src/store/db.js';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-backstop-emulator';
export const AM_TOKEN = 'bench-alertmanager-token-0123456789';

/** 50 approvers: the click storm is 50 different people pressing Approve at once. */
export const APPROVERS = Array.from({ length: 50 }, (_, i) => ({ id: `U0BENCH${String(i).padStart(2, '0')}`, name: `approver${i}` }));

/** Services: a fresh incident per latency sample, a fresh proposal per click storm; `storm` takes the intake load. */
export const SERVICE_COUNT = 140;
export const STORM = { service: 'storm', channel: 'C0STORM' };
export const service = (i: number) => ({ service: `svc-${String(i).padStart(3, '0')}`, channel: `C0SVC${String(i).padStart(3, '0')}`, channelName: `svc-${String(i).padStart(3, '0')}-incidents` });

/**
 * A policy shaped like a real one, repeated: critical services (two approvers), static SLIs, local
 * registry. Most services have three approvers; the click-storm services (`stormy`) list all 50,
 * through one YAML anchor so the file stays the size of a real policy's.
 */
export function policyYaml(postmortemDir: string, services = SERVICE_COUNT, stormy: (i: number) => boolean = () => false): string {
  const few = `[${APPROVERS.slice(0, 3).map((u) => u.id).join(', ')}]`;
  let anchored = false;
  const block = (name: string, channel: string, many: boolean) => {
    let approvers = `{ users: ${few} }`;
    if (many) {
      approvers = anchored ? '*everyone' : `&everyone { users: [${APPROVERS.map((u) => u.id).join(', ')}] }`;
      anchored = true;
    }
    return `
  ${name}:
    match: { service: ${name} }
    channel: ${channel}
    critical: true
    approvers: ${approvers}
    adapter: { kind: local-registry, model: ${name}, alias: production }
    slis:
      - { name: accuracy, source: static, values: { v1: 0.95, v2: 0.80 }, comparator: lt, threshold: 0.9 }
      - { name: p99_latency, source: static, values: { v1: 120, v2: 310 }, comparator: gt, threshold: 250, unit: ms }
    runbook: https://runbooks.example/${name}`;
  };
  // The storm service sits in the middle of the policy: alert matching walks the services in order.
  const half = Math.floor(services / 2);
  const blocks = Array.from({ length: services }, (_, i) => block(service(i).service, service(i).channel, stormy(i)));
  return `
defaults: { settle: 0s, proposalTtl: 30m, executeAttempts: 3, executeBackoff: 10ms }
postmortemDir: ${postmortemDir}
services:${blocks.slice(0, half).join('')}${block(STORM.service, STORM.channel, false)}${blocks.slice(half).join('')}
`;
}

/** Every service serves v2 with v1 as its last known-good version, as `npx backstop registry` records it. */
export function seedRegistry(db: Db, services = SERVICE_COUNT): void {
  const r = new LocalRegistry(db, systemClock);
  for (const name of [...Array.from({ length: services }, (_, i) => service(i).service), STORM.service]) {
    r.register(name, 'v1');
    r.register(name, 'v2');
    r.promote(name, 'v1', { actor: 'ci', reason: 'release' });
    r.promote(name, 'v2', { actor: 'ci', reason: 'release' });
  }
}

export function seedWorkspace(emu: SlackEmulator, services = SERVICE_COUNT): void {
  for (const u of APPROVERS) emu.addUser({ id: u.id, name: u.name, email: `${u.name}@example.com` });
  const members = APPROVERS.map((u) => u.id);
  for (let i = 0; i < services; i++) emu.addChannel({ id: service(i).channel, name: service(i).channelName, members });
  emu.addChannel({ id: STORM.channel, name: 'storm-incidents', members });
}

/** Alertmanager webhook v4 body: `count` firing alerts for one service, each with its own fingerprint. */
export function alertmanagerBody(svc: string, fingerprints: readonly string[], startsAt: string): string {
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{service="${svc}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'backstop',
    groupLabels: { service: svc },
    commonLabels: { service: svc, severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: fingerprints.map((fingerprint, k) => ({
      status: 'firing',
      labels: { alertname: k % 2 ? 'LatencyP99High' : 'HighErrorRate', service: svc, severity: 'critical', instance: `${svc}-${k}:8080`, job: svc },
      annotations: { summary: `error rate above 5% on ${svc}`, runbook_url: `https://runbooks.example/${svc}` },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus.example:9090/graph?g0.expr=rate(errors_total%7Bservice%3D%22${svc}%22%7D%5B5m%5D)`,
      fingerprint,
    })),
  });
}

// ---------------------------------------------------------------------------------------------
// Runner ↔ host messages (over the child's IPC channel)

export type HostConfig =
  /** `pacing`: the outbox's per-channel pacing (default off: every figure but the storm and 3p measures Backstop, not Slack's rate limit). */
  | { kind: 'backstop'; env: Record<string, string>; policyYaml: string; logFile: string; pacing?: { channelIntervalMs: number; channelBurst: number } }
  | { kind: 'bolt'; apiUrl: string }
  | { kind: 'http'; apiUrl: string }
  /** The durable floor under intake (durable-floor.ts): parse, one insert per alert and one chained audit row per delivery. */
  | { kind: 'durable'; dbFile: string }
  /** The Slack emulator, in a process of its own so its work competes neither with the bot's event loop nor the load generator's. */
  | { kind: 'slack' }
  /**
   * A PostgreSQL server (test/support/postgres.ts) for the PostgreSQL figures. Its own process group:
   * it stops the server when the runner goes away however that happens (failure, Ctrl-C, kill).
   */
  | { kind: 'postgres' };

/** What to mint for one click: the trigger id and response_url Slack would put in it. */
export interface MintRequest {
  channel: string;
  messageTs: string;
  users: string[];
}

export type HostRequest =
  | { id: number; cmd: 'settle' | 'stats' | 'stop' | 'clock' }
  | { id: number; cmd: 'mint'; args: MintRequest }
  /** Slack host: the monotonic times (ms) of chat.postMessage calls per channel since `since` (monotonic ns). */
  | { id: number; cmd: 'calls'; args: { since: string } }
  /** Resolves once the emulator has seen no API call for `ms`. */
  | { id: number; cmd: 'quiet'; args: { ms: number } }
  /** PostgreSQL host: a new empty schema, and a URL confined to it. */
  | { id: number; cmd: 'schema' }
  /** PostgreSQL host: SQL as the superuser; replies with the rows. */
  | { id: number; cmd: 'sql'; args: { text: string; values?: unknown[] } };

export type HostMessage =
  | { type: 'ready'; url: string; readyMs: number }
  | { type: 'execute'; service: string; hr: string }
  /** The emulator received a top-level message with an Approve button (`hr`: when, monotonic ns). */
  | { type: 'proposal'; channel: string; message: unknown; hr: string }
  | { type: 'ephemeral'; channel: string; user: string; hr: string }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'error'; message: string };

export interface HostStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /**
   * Highest RSS seen so far (sampled every 100 ms). Not getrusage's maxRSS: Linux carries that
   * across exec, so a child would report its parent's peak.
   */
  peakRss: number;
}
