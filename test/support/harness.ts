import { LocalRegistryAdapter } from '../../src/adapters/local-registry/adapter.js';
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import type { Deps } from '../../src/app/deps.js';
import { OutboxDrainer } from '../../src/slack/outbox-drainer.js';
import { parsePolicy, type Policy } from '../../src/config/policy.js';
import { composeDeps } from '../../src/compose-deps.js';
import { createLogger } from '../../src/log/logger.js';
import type { ExecuteOutcome, ExecuteRequest, RollbackAdapter } from '../../src/ports/rollback-adapter.js';
import { TaskTracker } from '../../src/runtime/task-tracker.js';
import { staticSliSource } from '../../src/sli/static-source.js';
import { openDb } from '../../src/store/db.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { Store } from '../../src/store/store.js';
import { FolderPostmortems } from '../../src/adapters/postmortem-files.js';
import { TEST_AUDIT_KEY } from './audit-key.js';
import { FakeChat, FakeDirectory } from './fake-chat.js';
import { FakeClock } from './fake-clock.js';

export const POLICY_YAML = `
defaults: { requiredApprovals: 1, settle: 10s, proposalTtl: 30m }
postmortemDir: POSTMORTEM_DIR
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    channel: C0INCIDENT
    critical: true
    approvers: { users: [U0ALICE, U0BOB], groups: [S0ONCALL] }
    adapter: { kind: local-registry, model: fraud-scorer, alias: production }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.80 }, comparator: lt, threshold: 0.85 }
    runbook: https://runbooks.example/fraud-scorer
`;

/** Passes every call to a real adapter; subclasses intercept what a test needs to see or break. */
export class DelegatingAdapter implements RollbackAdapter {
  constructor(protected readonly inner: RollbackAdapter) {}
  get kind() { return this.inner.kind; }
  describe() { return this.inner.describe(); }
  versions() { return this.inner.versions(); }
  plan(to: string) { return this.inner.plan(to); }
  preflight(to: string) { return this.inner.preflight(to); }
  readBack(to: string) { return this.inner.readBack(to); }
  execute(req: ExecuteRequest): Promise<ExecuteOutcome> { return this.inner.execute(req); }
}

/** Counts executions on the way to the real local-registry adapter. */
export class CountingAdapter extends DelegatingAdapter {
  executions: ExecuteRequest[] = [];
  override async execute(req: ExecuteRequest) {
    this.executions.push(req);
    return this.inner.execute(req);
  }
}

export function buildHarness(opts: { postmortemDir: string; policyYaml?: string; start?: Date; promoteGapMs?: number }) {
  const parsed = parsePolicy((opts.policyYaml ?? POLICY_YAML).replace('POSTMORTEM_DIR', opts.postmortemDir));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const policy: Policy = parsed.policy;
  const db = openDb(':memory:');
  const store = new Store(db, { auditKey: TEST_AUDIT_KEY });
  const clock = new FakeClock(opts.start ?? '2025-03-01T12:00:00.000Z');
  const registry = new LocalRegistry(db, clock);
  registry.register('fraud-scorer', 'v41');
  registry.register('fraud-scorer', 'v42');
  registry.promote('fraud-scorer', 'v41', { actor: 'ci', reason: 'release' });
  clock.advance(opts.promoteGapMs ?? 60_000);
  registry.promote('fraud-scorer', 'v42', { actor: 'ci', reason: 'release' });
  const adapter = new CountingAdapter(new LocalRegistryAdapter(registry, { model: 'fraud-scorer', alias: 'production' }));
  const chat = new FakeChat();
  const log = createLogger({ level: 'silent' });
  let n = 0;
  const tasks = new TaskTracker(log);
  const deps: Deps = composeDeps({
    store: new SqliteStore(store), policy, clock, tasks, log, chat,
    postmortems: new FolderPostmortems(policy.postmortemDir),
    ids: { next: (p) => `${p}-${++n}` },
    directory: new FakeDirectory({ S0ONCALL: ['U0CAROL'] }),
    buildAdapter: () => adapter,
    sliSources: { static: staticSliSource },
    // The drainer is built from these deps; the closure only runs after it exists.
    kickOutbox: () => drainer.kick(),
  });
  // Tests swap the adapter or SLI source of a running harness.
  deps.adapter = () => adapter;
  deps.sliSource = () => staticSliSource;
  const drainer = new OutboxDrainer(deps, { channelIntervalMs: 0, channelBurst: 1 });
  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await tasks.idle();
      drainer.kick();
      await drainer.flushed();
      if (tasks.busy === 0) return;
    }
  };
  return { deps, db, store, clock, registry, adapter, chat, drainer, settle };
}

export function firingAlert(over: { fingerprint?: string; startsAt?: string; service?: string; status?: 'firing' | 'resolved' } = {}) {
  return {
    source: 'alertmanager' as const,
    fingerprint: over.fingerprint ?? 'ce0daa591dbe3482',
    startsAt: over.startsAt ?? '2025-03-01T11:59:00.000Z',
    endsAt: over.status === 'resolved' ? '2025-03-01T12:30:00.000Z' : null,
    status: over.status ?? 'firing',
    name: 'ModelAccuracyDrop',
    severity: 'critical',
    summary: 'fraud-scorer accuracy below 0.85',
    labels: { alertname: 'ModelAccuracyDrop', service: over.service ?? 'fraud-scorer' },
    annotations: {},
  };
}
