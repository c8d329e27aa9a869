import { afterEach } from 'vitest';
import type { Alert } from '../../../src/domain/alert.js';
import type { Incident } from '../../../src/domain/incident.js';
import type { Proposal } from '../../../src/domain/proposal.js';
import type { StorePort } from '../../../src/ports/store.js';
import { proposal, reading } from '../../support/builders.js';
import type { Engine, OpenOptions, OpenStore } from './engine.js';

export const T0 = '2025-03-01T12:00:00.000Z';

/** `T0` plus `s` seconds, as the domain writes instants. */
export const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();

export function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-1', service: 'fraud-scorer', status: 'open', title: 'accuracy dropped', severity: 'critical', channelId: 'C1',
    openedAt: T0, resolvedAt: null, resolvedBy: null, postmortemPath: null, headerTs: null, statusUpdateAt: null, ...over,
  };
}

export function alert(over: Partial<Alert> = {}): Alert {
  return {
    source: 'alertmanager', fingerprint: 'fp-1', startsAt: T0, endsAt: null, status: 'firing', name: 'ModelAccuracyDrop',
    severity: 'critical', summary: 'accuracy below 0.85', labels: { service: 'fraud-scorer', alertname: 'ModelAccuracyDrop' },
    annotations: { runbook: 'https://runbooks.example/accuracy' }, ...over,
  };
}

/** A proposal with every optional field set, so a round trip shows each one survives. */
export function fullProposal(over: Partial<Proposal> = {}): Proposal {
  return proposal({
    id: 'rb-full', state: 'executed', rev: 7, approvals: [{ user: 'U1', at: at(10) }, { user: 'U2', at: at(20) }],
    decidedAt: at(20), decidedBy: 'U2', decisionReason: 'quorum', executedAt: at(30), verifiedAt: null,
    sliBefore: [reading(), reading({ name: 'latency_p99', baseline: 120, current: 480, comparator: 'gt', threshold: 300, unit: 'ms', sparkline: '▁▂▇' })],
    sliAfter: [reading({ current: 0.9, verdict: 'ok', reason: 'recovered' }), reading({ name: 'latency_p99', baseline: null, current: null, verdict: 'no_data', reason: 'no samples' })],
    executionDetail: 'alias champion → v41', messageTs: '1700000000.000100', automatic: true, autoExecuteAt: at(300),
    breakGlass: 'pager storm, quorum asleep', preflight: { ok: true, checks: [{ name: 'v41 exists', ok: true, detail: 'READY' }] },
    baselineAt: at(-3600), plan: { steps: ['point champion at v41'], basis: 'registry at v42' },
    readBack: { status: 'confirmed', version: 'v41', detail: 'champion → v41' }, ...over,
  });
}

/** What `get` answers for a proposal written without the optional fields. */
export function asRead(p: Proposal): Proposal {
  return { automatic: false, autoExecuteAt: null, breakGlass: null, preflight: null, baselineAt: null, plan: null, readBack: null, ...p };
}

/** An open incident inc-1 and its pending proposal rb-1. */
export async function seed(store: StorePort): Promise<void> {
  await store.incidents.insert(incident());
  await store.proposals.insert(proposal());
}

/** Stores opened in a test are closed after it, passed or failed. */
export function stores(engine: Engine): { fresh(opts?: OpenOptions): Promise<OpenStore>; reopen(s: OpenStore, opts?: OpenOptions): Promise<OpenStore> } {
  const open: OpenStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const keep = (s: OpenStore) => {
    open.push(s);
    return s;
  };
  return {
    fresh: async (opts) => keep(await engine.fresh(opts)),
    reopen: async (s, opts) => keep(await s.open(opts)),
  };
}

/** How many of `results` fulfilled, and their values. */
export function winners<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.filter((r): r is PromiseFulfilledResult<T> => r.status === 'fulfilled').map((r) => r.value);
}
