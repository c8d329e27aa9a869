import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { ExecuteOutcome, ExecuteRequest, PreflightCheck, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../../ports/rollback-adapter.js';
import { isOk, kubeFailure, type KubeClient, type KubeFailure } from '../kubernetes/client.js';
import { objectMeta } from '../kubernetes/workload.js';
import { basisChanges, digest, formatBasis, parseBasis, type Basis } from '../basis.js';
import type { TargetLedger } from '../ledger.js';
import { pollUntil, type Poll } from '../support.js';
import { hasMoved, planOutdated, stagedTowards, targetMoved, type Refusal } from '../target-moved.js';

/**
 * Rolls a KServe InferenceService (serverless mode) back with merge patches on one component:
 * - versionFrom revision: versions are Knative revision names. `canaryTrafficPercent: 0` pins
 *   all traffic to the revision KServe keeps as last rolled out (the previous one once the
 *   latest was fully promoted); `shiftTraffic` sets `canaryTrafficPercent` to the complement.
 * - versionFrom storageUri: versions are model versions written into a storageUri template;
 *   the rollback sets `model.storageUri` back and drops `canaryTrafficPercent`, so KServe
 *   creates a revision of the old model and sends it all traffic. Backstop's ledger keeps
 *   which versions served, as the InferenceService does not.
 * No annotations are written: KServe copies them onto the revision template, which would
 * create a revision of its own. Who and why live in Backstop's ledger and audit trail.
 *
 * Before patching, the InferenceService must still serve the version approvers saw (or be
 * part-way to `to` under this proposal's own stages) and match the plan's basis: the newest
 * revision and the component spec apart from `canaryTrafficPercent`. The patch carries the
 * resourceVersion just read, so nothing slips in between; a conflict is read and checked again.
 */

export interface KserveOptions {
  targetId: string;
  namespace: string;
  inferenceService: string;
  component: 'predictor' | 'transformer' | 'explainer';
  versionFrom: 'revision' | 'storageUri';
  storageUriTemplate?: string;
  fallbackLastGood?: string;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
  progress?: (line: string) => void;
}

const traffic = z.object({ revisionName: z.string().optional(), percent: z.number().optional(), latestRevision: z.boolean().optional(), tag: z.string().optional() }).loose();
const componentStatus = z.object({
  latestCreatedRevision: z.string().optional(),
  latestReadyRevision: z.string().optional(),
  latestRolledoutRevision: z.string().optional(),
  previousRolledoutRevision: z.string().optional(),
  traffic: z.array(traffic).optional(),
}).loose();
type ComponentStatus = z.infer<typeof componentStatus>;

const componentSpec = z.object({
  canaryTrafficPercent: z.number().optional(),
  model: z.object({ storageUri: z.string().optional() }).loose().optional(),
}).loose();

const isvcSchema = z.object({
  metadata: objectMeta,
  spec: z.record(z.string(), z.unknown()),
  status: z.object({
    observedGeneration: z.number().optional(),
    conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() }).loose()).optional(),
    components: z.record(z.string(), componentStatus).optional(),
  }).loose().optional(),
}).loose();
type Isvc = z.infer<typeof isvcSchema>;

interface View {
  isvc: Isvc;
  spec: z.infer<typeof componentSpec>;
  status: ComponentStatus;
  current: string | null;
}

/** Percent of traffic each revision receives now. */
function shares(st: ComponentStatus): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of st.traffic ?? []) {
    const name = t.revisionName ?? (t.latestRevision ? st.latestReadyRevision : undefined);
    if (name) m.set(name, (m.get(name) ?? 0) + (t.percent ?? 0));
  }
  return m;
}

/** The revision `canaryTrafficPercent: 0` sends all traffic to, as KServe's reconciler chooses it. */
export function pinTarget(st: ComponentStatus): string | undefined {
  return st.latestRolledoutRevision === st.latestReadyRevision ? st.previousRolledoutRevision : st.latestRolledoutRevision;
}

/** Conflicting writes ridden out (re-read, re-check, patch again) before asking for a retry. */
const MAX_CONFLICTS = 3;
const BASIS_FIELDS = ['spec', 'latestCreated'] as const;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class KserveAdapter implements RollbackAdapter {
  readonly kind = 'kserve';

  constructor(
    private readonly client: KubeClient,
    private readonly opts: KserveOptions,
    private readonly ledger: TargetLedger,
    private readonly clock: Clock,
  ) {}

  describe(): string {
    return `kserve inferenceservice ${this.opts.namespace}/${this.opts.inferenceService} ${this.opts.component}`;
  }

  private get path(): string {
    return `/apis/serving.kserve.io/v1beta1/namespaces/${encodeURIComponent(this.opts.namespace)}/inferenceservices/${encodeURIComponent(this.opts.inferenceService)}`;
  }

  private get byUri(): boolean {
    return this.opts.versionFrom === 'storageUri';
  }

  async versions(): Promise<VersionState> {
    const v = await this.load();
    if (!v.ok) throw new Error(v.failure.message);
    const { current } = v.view;
    if (current === null) return { current: null, lastGood: this.opts.fallbackLastGood ?? null, deployedAt: null };
    const deployedAt = this.ledger.movedAt(this.opts.targetId, current);
    if (this.byUri) {
      this.ledger.observe(this.opts.targetId, current);
      const lastGood = this.ledger.lastGood(this.opts.targetId, current) ?? (this.opts.fallbackLastGood !== current ? (this.opts.fallbackLastGood ?? null) : null);
      return { current, lastGood, deployedAt };
    }
    const fled = this.fled();
    const candidates = [pinTarget(v.view.status), v.view.status.latestReadyRevision];
    const lastGood = candidates.find((c): c is string => c !== undefined && c !== current && !fled.has(c)) ?? null;
    return { current, lastGood, deployedAt };
  }

  async plan(to: string): Promise<RollbackPlan> {
    const v = await this.load();
    if (!v.ok) return { target: this.describe(), from: null, to, steps: [`cannot plan: ${v.failure.message}`] };
    const patch = this.patchFor(v.view, to, 100);
    if (!patch.ok) return { target: this.describe(), from: v.view.current, to, steps: [`cannot roll back: ${patch.message}`] };
    const dry = await this.client.patch(this.path, 'merge', patch.body, { dryRun: 'All' });
    const basis = this.basisOf(v.view);
    return {
      target: this.describe(),
      from: v.view.current,
      to,
      basis: formatBasis(this.kind, basis),
      steps: [
        `refuse if ${this.opts.component} no longer serves ${v.view.current ?? 'the version shown'} from this spec (newest revision ${basis.latestCreated || '?'}, spec ${basis.spec})`,
        `merge-patch ${JSON.stringify(patch.body)} (${patch.what}), guarded by the resourceVersion read just before`,
        isOk(dry) ? 'server dry-run (dryRun=All): accepted' : `server dry-run (dryRun=All) refused: ${kubeFailure(dry, 'PATCH').message}`,
        `wait up to ${Math.round(this.opts.rolloutTimeoutMs / 1000)} s for status.components.${this.opts.component}.traffic to send 100 % to ${to}`,
      ],
    };
  }

  async preflight(to: string): Promise<PreflightResult> {
    const v = await this.load();
    if (!v.ok) return { ok: false, checks: [{ name: 'inferenceservice readable', ok: false, detail: v.failure.message }] };
    const checks: PreflightCheck[] = [];
    const patch = this.patchFor(v.view, to, 100);
    checks.push({ name: 'target version routable', ok: patch.ok, detail: patch.ok ? patch.what : patch.message });
    if (patch.ok) {
      const dry = await this.client.patch(this.path, 'merge', patch.body, { dryRun: 'All' });
      checks.push({ name: 'server dry-run', ok: isOk(dry), detail: isOk(dry) ? 'dryRun=All accepted the patch' : kubeFailure(dry, 'PATCH dryRun=All').message });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    return this.move(req, 100, 'rollback', req.idempotencyKey);
  }

  async shiftTraffic(req: ExecuteRequest & { percent: number }): Promise<ExecuteOutcome> {
    const { percent } = req;
    if (!Number.isInteger(percent) || percent < 1 || percent > 100) return { ok: false, retryable: false, message: `percent must be a whole number from 1 to 100, not ${percent}` };
    if (this.byUri && percent !== 100) return { ok: false, retryable: false, message: `${this.describe()} rolls back by storageUri: traffic moves all at once, so only 100 % applies` };
    return this.move(req, percent, 'shift', `${req.idempotencyKey}#${percent}`);
  }

  async readBack(to: string): Promise<ReadBack> {
    const v = await this.load();
    if (!v.ok) return { confirmed: false, version: null, detail: v.failure.message };
    const p = this.progressOf(v.view, to, 100);
    return { confirmed: p.state === 'done', version: v.view.current, detail: p.detail };
  }

  private async move(req: ExecuteRequest, percent: number, kind: 'rollback' | 'shift', key: string): Promise<ExecuteOutcome> {
    const prior = this.ledger.byKey(this.opts.targetId, key);
    if (prior && prior.version !== req.to) {
      return { ok: false, retryable: false, message: `idempotency key ${req.idempotencyKey} was already used to move ${this.describe()} to ${prior.version}` };
    }
    for (let attempt = 1; ; attempt++) {
      const v = await this.load();
      if (!v.ok) return { ok: false, retryable: v.failure.retryable, message: v.failure.message };
      if (prior) return this.finish(req.to, percent, `already moved to ${req.to} for ${req.idempotencyKey}; nothing patched`, true);
      const moved = this.refuseIfMoved(v.view, req, key);
      if (moved) return moved;
      const record = () => this.ledger.record({ target: this.opts.targetId, version: req.to, actor: req.actor, kind, from: v.view.current, idempotencyKey: key });
      const patch = this.patchFor(v.view, req.to, percent);
      if (!patch.ok) return { ok: false, retryable: false, message: patch.message };
      if (this.progressOf(v.view, req.to, percent).state === 'done') {
        record();
        return { ok: true, version: req.to, detail: `${this.describe()} already sends ${percent} % to ${req.to}; nothing patched`, alreadyApplied: true };
      }
      if (this.byUri && v.view.current !== null) this.ledger.observe(this.opts.targetId, v.view.current);
      // A resourceVersion in a merge patch is a precondition: a write since our read answers 409.
      const guarded = { metadata: { resourceVersion: v.view.isvc.metadata.resourceVersion }, ...(patch.body as object) };
      const res = await this.client.patch(this.path, 'merge', guarded);
      if (isOk(res)) {
        record();
        return this.finish(req.to, percent, `${patch.what} (was ${v.view.current ?? 'unknown'})`, false);
      }
      const f = kubeFailure(res, `PATCH ${this.describe()}`);
      if (!f.conflict) return { ok: false, retryable: f.retryable, message: f.message };
      if (attempt >= MAX_CONFLICTS) return { ok: false, retryable: true, message: `${this.describe()} kept changing while rolling back (${attempt} conflicting writes); nothing was patched, try again` };
    }
  }

  /** What the plan is computed against: the newest revision, and the component spec apart from the traffic split Backstop itself moves. */
  private basisOf(view: View): Basis {
    const spec = { ...(view.isvc.spec[this.opts.component] as Record<string, unknown> | undefined) };
    delete spec.canaryTrafficPercent;
    return { latestCreated: view.status.latestCreatedRevision ?? '', spec: digest(spec) };
  }

  private refuseIfMoved(view: View, req: ExecuteRequest, key: string): Refusal | null {
    // Part-way to `to` under this proposal's earlier stages is where we put it, not a move.
    const fine = stagedTowards(this.ledger.history(this.opts.targetId), key, req.to) ? [req.to] : [];
    if (hasMoved(req.expectedFrom, view.current, fine)) return targetMoved(this.describe(), view.current, req.expectedFrom);
    const planned = parseBasis(req.planned, this.kind);
    const changes = planned ? basisChanges(planned, this.basisOf(view), BASIS_FIELDS) : [];
    return changes.length > 0 ? planOutdated(this.describe(), view.current, changes) : null;
  }

  /** The merge patch that sends `percent` of the traffic to `to`, or why none can. */
  private patchFor(view: View, to: string, percent: number): { ok: true; body: unknown; what: string } | { ok: false; message: string } {
    const c = this.opts.component;
    if (this.byUri) {
      const uri = this.uriFor(to);
      const known = to === this.opts.fallbackLastGood || this.ledger.history(this.opts.targetId).some((e) => e.version === to);
      if (!known) return { ok: false, message: `Backstop has never seen ${this.describe()} serve version ${to} (${uri}); roll back only to a version it served` };
      if (!view.spec.model) return { ok: false, message: `${this.describe()} has no spec.${c}.model to point at ${uri}` };
      return { ok: true, body: { spec: { [c]: { canaryTrafficPercent: null, model: { storageUri: uri } } } }, what: `set spec.${c}.model.storageUri to ${uri} and drop canaryTrafficPercent` };
    }
    const st = view.status;
    const pinned = pinTarget(st);
    const latest = st.latestReadyRevision;
    if (!st.traffic?.length) return { ok: false, message: `${this.describe()} reports no traffic split (RawDeployment mode has no revisions to pin; use versionFrom: storageUri)` };
    if (to === pinned && to !== latest) {
      return { ok: true, body: { spec: { [c]: { canaryTrafficPercent: 100 - percent } } }, what: `pin ${percent} % of traffic to ${to} with canaryTrafficPercent ${100 - percent}` };
    }
    if (to === latest) {
      return { ok: true, body: { spec: { [c]: { canaryTrafficPercent: percent } } }, what: `send ${percent} % of traffic to the latest ready revision ${to} with canaryTrafficPercent ${percent}` };
    }
    return { ok: false, message: `${to} is not a revision KServe can route ${this.describe()} to: last rolled out ${pinned ?? '(none)'}, latest ready ${latest ?? '(none)'}` };
  }

  private progressOf(view: View, to: string, percent: number): Poll {
    const isvc = view.isvc;
    const gen = isvc.metadata.generation;
    const observed = isvc.status?.observedGeneration;
    if (gen !== undefined && observed !== undefined && observed < gen) return { state: 'waiting', detail: 'waiting for KServe to observe the change' };
    const ready = isvc.status?.conditions?.find((c) => c.type === 'Ready');
    if (this.byUri) {
      const st = view.status;
      const fresh = st.latestCreatedRevision !== undefined && st.latestCreatedRevision === st.latestReadyRevision;
      const all = fresh && st.latestReadyRevision !== undefined && shares(st).get(st.latestReadyRevision) === 100;
      if (view.current === to && all && ready?.status === 'True') return { state: 'done', detail: `${this.describe()} serves ${to} from revision ${st.latestReadyRevision ?? '?'} with 100 % of traffic` };
      if (ready?.status === 'False' && ready.reason) return { state: 'waiting', detail: `Ready=False ${ready.reason}: ${ready.message ?? ''}` };
      return { state: 'waiting', detail: `serving ${view.current ?? '?'}; latest created ${st.latestCreatedRevision ?? '?'}, latest ready ${st.latestReadyRevision ?? '?'}` };
    }
    const got = shares(view.status).get(to) ?? 0;
    const split = [...shares(view.status)].map(([r, p]) => `${r} ${p} %`).join(', ') || 'no traffic';
    if (got === percent) return { state: 'done', detail: `traffic: ${split}` };
    return { state: 'waiting', detail: `traffic: ${split} (want ${percent} % on ${to})` };
  }

  private async finish(to: string, percent: number, what: string, alreadyApplied: boolean): Promise<ExecuteOutcome> {
    const done = await pollUntil(this.clock, { deadlineMs: this.opts.rolloutTimeoutMs, intervalMs: this.opts.pollIntervalMs, progress: this.opts.progress }, async () => {
      const v = await this.load();
      if (!v.ok) return v.failure.retryable ? { state: 'waiting', detail: v.failure.message } : { state: 'failed', retryable: false, detail: v.failure.message };
      return this.progressOf(v.view, to, percent);
    });
    if (done.state === 'done') return { ok: true, version: to, detail: `${what}; ${done.detail}`, alreadyApplied };
    if (done.state === 'failed') return { ok: false, retryable: done.retryable, message: `${what}, but ${done.detail}` };
    return { ok: false, retryable: true, message: `${what}, but traffic did not move within ${Math.round(this.opts.rolloutTimeoutMs / 1000)} s: ${done.detail}` };
  }

  private uriFor(version: string): string {
    return (this.opts.storageUriTemplate ?? '{version}').split('{version}').join(version);
  }

  private versionOfUri(uri: string): string {
    const t = this.opts.storageUriTemplate ?? '{version}';
    const re = new RegExp(`^${t.split('{version}').map(escapeRegExp).join('(.+)')}$`);
    return re.exec(uri)?.[1] ?? uri;
  }

  private fled(): Set<string> {
    return new Set(this.ledger.history(this.opts.targetId).filter((e) => e.kind === 'rollback' && e.from !== null && e.from !== e.version).map((e) => e.from as string));
  }

  private async load(): Promise<{ ok: true; view: View } | { ok: false; failure: KubeFailure }> {
    const got = await this.client.get(this.path);
    if (!isOk(got)) return { ok: false, failure: kubeFailure(got, `GET ${this.describe()}`) };
    const parsed = isvcSchema.safeParse(got.body);
    const spec = parsed.success ? componentSpec.safeParse(parsed.data.spec[this.opts.component] ?? {}) : undefined;
    if (!parsed.success || !spec?.success) return { ok: false, failure: { retryable: false, notFound: false, conflict: false, status: null, message: `GET ${this.describe()} answered an unexpected body` } };
    const status = parsed.data.status?.components?.[this.opts.component] ?? {};
    let current: string | null;
    if (this.byUri) {
      const uri = spec.data.model?.storageUri;
      current = uri ? this.versionOfUri(uri) : null;
    } else {
      // The latest revision while it takes any traffic (a canary is what is under suspicion), else the one taking most.
      const split = shares(status);
      const latest = status.latestReadyRevision;
      const ranked = [...split].sort((a, b) => b[1] - a[1]);
      current = latest !== undefined && (split.get(latest) ?? 0) > 0 ? latest : (ranked[0]?.[0] ?? null);
    }
    return { ok: true, view: { isvc: parsed.data, spec: spec.data, status, current } };
  }
}
