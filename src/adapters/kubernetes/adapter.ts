import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { ExecuteOutcome, ExecuteRequest, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../../ports/rollback-adapter.js';
import { basisChanges, formatBasis, parseBasis } from '../basis.js';
import type { TargetLedger } from '../ledger.js';
import { clip, pollUntil, type Poll } from '../support.js';
import { hasMoved, planOutdated, targetMoved, type Refusal } from '../target-moved.js';
import { isOk, kubeFailure, type KubeClient, type KubeFailure } from './client.js';
import {
  DEPLOYMENT_FLAVOUR,
  currentVersion,
  findRevision,
  knownVersions,
  labelSelector,
  objectMeta,
  podTemplate,
  previousVersion,
  replicaSetSchema,
  revisions,
  selectorQuery,
  withoutHash,
  workloadBasis,
  type Revision,
  type VersionSelector,
} from './workload.js';

/**
 * `kubectl rollout undo` through the API: restore a Deployment's pod template from the
 * ReplicaSet of an earlier revision, then wait for the rollout to finish. Versions are images,
 * a template label or revisions. The patch is guarded by the resourceVersion just read; when
 * something else wrote in between (a status update, a scale) the Deployment is read and checked
 * again, so only a new template, or a version other than the one approvers saw, stops it.
 */

export interface KubernetesOptions extends VersionSelector {
  /** Stable id for the ledger, e.g. `kubernetes:prod-context:ml/fraud-scorer`. */
  targetId: string;
  namespace: string;
  deployment: string;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
  /** Called with each new rollout status line while waiting. */
  progress?: (line: string) => void;
}

/** Annotations Backstop adds to the workload it rolled back: who, why, which proposal. */
export const ANNOTATION = {
  proposal: 'backstop.dev/rollback-proposal',
  actor: 'backstop.dev/rollback-approved-by',
  reason: 'backstop.dev/rollback-reason',
} as const;

// kubectl keeps these from the Deployment and never copies them from the ReplicaSet.
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

const condition = z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() }).loose();

const deploymentSchema = z.object({
  metadata: objectMeta,
  spec: z.object({ replicas: z.number().optional(), paused: z.boolean().optional(), selector: labelSelector, template: podTemplate }).loose(),
  status: z.object({
    observedGeneration: z.number().optional(),
    replicas: z.number().optional(),
    updatedReplicas: z.number().optional(),
    availableReplicas: z.number().optional(),
    conditions: z.array(condition).optional(),
  }).loose().optional(),
}).loose();
type Deployment = z.infer<typeof deploymentSchema>;

type Loaded = { ok: true; dep: Deployment; revs: Revision[]; current: string | null } | { ok: false; failure: KubeFailure };
type Ready = Extract<Loaded, { ok: true }>;

/** Conflicting writes ridden out (re-read, re-check, patch again) before asking for a retry. */
const MAX_CONFLICTS = 3;
const BASIS_FIELDS = ['template', 'restore', 'revision'] as const;

/** kubectl's rollout status, as a poll result. */
export function deploymentRollout(dep: Deployment): Poll {
  const s = dep.status ?? {};
  const want = dep.spec.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const total = s.replicas ?? 0;
  if ((dep.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) return { state: 'waiting', detail: 'waiting for the controller to observe the new template' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', retryable: false, detail: `rollout exceeded its progress deadline: ${clip(progressing.message ?? '')}` };
  }
  if (updated < want) return { state: 'waiting', detail: `${updated} of ${want} replicas updated` };
  if (total > updated) return { state: 'waiting', detail: `${total - updated} old replicas pending termination` };
  if (available < updated) return { state: 'waiting', detail: `${available} of ${updated} updated replicas available` };
  return { state: 'done', detail: `${updated} of ${want} replicas updated and available` };
}

export class KubernetesAdapter implements RollbackAdapter {
  readonly kind = 'kubernetes';

  constructor(
    private readonly client: KubeClient,
    private readonly opts: KubernetesOptions,
    private readonly ledger: TargetLedger,
    private readonly clock: Clock,
  ) {}

  describe(): string {
    return `kubernetes deployment ${this.opts.namespace}/${this.opts.deployment}`;
  }

  private get path(): string {
    return `/apis/apps/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/deployments/${encodeURIComponent(this.opts.deployment)}`;
  }

  async versions(): Promise<VersionState> {
    const s = await this.load();
    if (!s.ok) throw new Error(s.failure.message);
    const lastGood = previousVersion(s.revs, s.current, this.fled());
    const cur = s.revs.find((r) => r.current);
    const created = cur?.rs.metadata.creationTimestamp;
    const deployedAt = (s.current !== null ? this.ledger.movedAt(this.opts.targetId, s.current) : null) ?? (created ? new Date(created) : null);
    return { current: s.current, lastGood, deployedAt };
  }

  async plan(to: string): Promise<RollbackPlan> {
    const s = await this.load();
    if (!s.ok) return { target: this.describe(), from: null, to, steps: [`cannot plan: ${s.failure.message}`] };
    const steps: string[] = [];
    const target = findRevision(s.revs, to, this.opts);
    if (!target) {
      steps.push(`cannot roll back: no ReplicaSet of ${this.describe()} has version ${to} (known: ${knownVersions(s.revs)})`);
      return { target: this.describe(), from: s.current, to, steps };
    }
    if (s.dep.spec.paused) steps.push('refuse: the deployment is paused (resume it first)');
    const basis = this.basisOf(s, target);
    steps.push(`restore the pod template of ReplicaSet ${target.rs.metadata.name} (revision ${target.revision}, ${to}) over ${s.current ?? '(unknown)'}`);
    steps.push(`refuse if the deployment no longer runs this template (revision ${basis.revision || '?'}, template ${basis.template})`);
    steps.push('JSON-patch /spec/template and /metadata/annotations, guarded by the resourceVersion read just before');
    const dry = await this.client.patch(this.path, 'json', this.patchFor(s.dep, target, null), { dryRun: 'All' });
    steps.push(isOk(dry) ? 'server dry-run (dryRun=All): accepted' : `server dry-run (dryRun=All) refused: ${kubeFailure(dry, 'PATCH').message}`);
    steps.push(`wait up to ${Math.round(this.opts.rolloutTimeoutMs / 1000)} s for ${s.dep.spec.replicas ?? 1} replicas updated and available`);
    return { target: this.describe(), from: s.current, to, steps, basis: formatBasis(this.kind, basis) };
  }

  async preflight(to: string): Promise<PreflightResult> {
    const s = await this.load();
    if (!s.ok) return { ok: false, checks: [{ name: 'deployment readable', ok: false, detail: s.failure.message }] };
    const target = findRevision(s.revs, to, this.opts);
    const checks = [
      {
        name: 'target revision exists',
        ok: Boolean(target),
        detail: target ? `ReplicaSet ${target.rs.metadata.name} (revision ${target.revision}) has ${to}` : `no ReplicaSet of ${this.describe()} has version ${to} (known: ${knownVersions(s.revs)})`,
      },
      { name: 'deployment not paused', ok: !s.dep.spec.paused, detail: s.dep.spec.paused ? 'spec.paused is true: kubectl refuses to roll back a paused deployment' : 'not paused' },
    ];
    if (target) {
      const dry = await this.client.patch(this.path, 'json', this.patchFor(s.dep, target, null), { dryRun: 'All' });
      checks.push({ name: 'server dry-run', ok: isOk(dry), detail: isOk(dry) ? 'dryRun=All accepted the patch' : kubeFailure(dry, 'PATCH dryRun=All').message });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    const prior = this.ledger.byKey(this.opts.targetId, req.idempotencyKey);
    if (prior && prior.version !== req.to) {
      return { ok: false, retryable: false, message: `idempotency key ${req.idempotencyKey} was already used to roll ${this.describe()} back to ${prior.version}` };
    }
    for (let attempt = 1; ; attempt++) {
      const s = await this.load();
      if (!s.ok) return { ok: false, retryable: s.failure.retryable, message: s.failure.message };
      if (prior) return this.finish(req.to, `already rolled back to ${req.to} for ${req.idempotencyKey}; nothing patched`, true);

      const target = findRevision(s.revs, req.to, this.opts);
      const record = () =>
        this.ledger.record({ target: this.opts.targetId, version: req.to, actor: req.actor, kind: 'rollback', from: s.current, idempotencyKey: req.idempotencyKey });
      // Our patch landed but its answer was lost: the annotation it wrote names this proposal.
      if (target?.current && s.dep.metadata.annotations?.[ANNOTATION.proposal] === req.idempotencyKey) {
        record();
        return this.finish(req.to, `${this.describe()} was already rolled back to ${req.to} for ${req.idempotencyKey}; nothing patched`, true);
      }
      const moved = this.refuseIfMoved(s, target, req);
      if (moved) return moved;
      if (s.dep.spec.paused) return { ok: false, retryable: false, message: `${this.describe()} is paused; resume it (kubectl rollout resume) before rolling back` };
      if (!target) return { ok: false, retryable: false, message: `no ReplicaSet of ${this.describe()} has version ${req.to} (known: ${knownVersions(s.revs)})` };
      if (target.current) {
        record();
        return this.finish(req.to, `${this.describe()} already runs the template of revision ${target.revision}; nothing patched`, true);
      }

      const res = await this.client.patch(this.path, 'json', this.patchFor(s.dep, target, req));
      if (isOk(res)) {
        record();
        return this.finish(req.to, `rolled ${this.describe()} back from ${s.current ?? '(unknown)'} to ${req.to} (ReplicaSet ${target.rs.metadata.name}, revision ${target.revision})`, false);
      }
      const f = kubeFailure(res, `PATCH ${this.describe()}`);
      if (!(await this.changedSince(f, s.dep.metadata.resourceVersion))) return { ok: false, retryable: f.retryable, message: f.message };
      if (attempt >= MAX_CONFLICTS) return { ok: false, retryable: true, message: `${this.describe()} kept changing while rolling back (${attempt} conflicting writes); nothing was patched, try again` };
    }
  }

  async readBack(to: string): Promise<ReadBack> {
    const s = await this.load();
    if (!s.ok) return { confirmed: false, version: null, detail: s.failure.message };
    const target = findRevision(s.revs, to, this.opts);
    const rollout = deploymentRollout(s.dep);
    const serving = target?.current === true;
    return {
      confirmed: serving && rollout.state === 'done',
      version: s.current,
      detail: `${this.describe()} template is ${s.current ?? '(unknown)'}; ${rollout.detail}`,
    };
  }

  /** Waits for the rollout and turns the outcome into the adapter's answer. */
  private async finish(to: string, what: string, alreadyApplied: boolean): Promise<ExecuteOutcome> {
    const done = await pollUntil(this.clock, { deadlineMs: this.opts.rolloutTimeoutMs, intervalMs: this.opts.pollIntervalMs, progress: this.opts.progress }, async () => {
      const got = await this.client.get(this.path);
      if (!isOk(got)) {
        const f = kubeFailure(got, `GET ${this.describe()}`);
        // A blip while waiting is not the rollout failing: keep waiting until the deadline.
        return f.retryable ? { state: 'waiting', detail: f.message } : { state: 'failed', retryable: false, detail: f.message };
      }
      const dep = deploymentSchema.safeParse(got.body);
      return dep.success ? deploymentRollout(dep.data) : { state: 'failed', retryable: false, detail: 'the API server answered an unexpected Deployment body' };
    });
    if (done.state === 'done') return { ok: true, version: to, detail: `${what}; ${done.detail}`, alreadyApplied };
    if (done.state === 'failed') return { ok: false, retryable: done.retryable, message: `${what}, but ${done.detail}` };
    return { ok: false, retryable: true, message: `${what}, but the rollout did not finish within ${Math.round(this.opts.rolloutTimeoutMs / 1000)} s: ${done.detail}` };
  }

  /**
   * Whether a refused patch met a Deployment that changed after it was read (then it is read and
   * checked again). A failed `test` and an invalid template both answer 422: only a changed
   * resourceVersion tells them apart.
   */
  private async changedSince(f: KubeFailure, readRv: string | undefined): Promise<boolean> {
    if (f.status !== 422 && !f.conflict) return false;
    const again = await this.client.get(this.path);
    const now = isOk(again) ? deploymentSchema.safeParse(again.body) : undefined;
    return now?.success === true && now.data.metadata.resourceVersion !== readRv;
  }

  /** What the plan is computed against (see workloadBasis); never the resourceVersion, which every status write bumps. */
  private basisOf(s: Ready, target: Revision | undefined) {
    return workloadBasis(s.dep.spec.template, s.revs, target, DEPLOYMENT_FLAVOUR);
  }

  /** Refuses when the Deployment serves another version than approvers saw, or another template than the plan shown. */
  private refuseIfMoved(s: Ready, target: Revision | undefined, req: ExecuteRequest): Refusal | null {
    if (hasMoved(req.expectedFrom, s.current)) return targetMoved(this.describe(), s.current, req.expectedFrom);
    const planned = parseBasis(req.planned, this.kind);
    const changes = planned ? basisChanges(planned, this.basisOf(s, target), BASIS_FIELDS) : [];
    return changes.length > 0 ? planOutdated(this.describe(), s.current, changes) : null;
  }

  private patchFor(dep: Deployment, target: Revision, req: ExecuteRequest | null): unknown[] {
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(dep.metadata.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
    for (const [k, v] of Object.entries(target.rs.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
    if (req) {
      annotations[ANNOTATION.proposal] = req.idempotencyKey;
      annotations[ANNOTATION.actor] = req.actor;
      annotations[ANNOTATION.reason] = clip(req.reason, 250);
    }
    return [
      { op: 'test', path: '/metadata/resourceVersion', value: dep.metadata.resourceVersion },
      { op: 'replace', path: '/spec/template', value: withoutHash(target.rs.spec.template, DEPLOYMENT_FLAVOUR.hashLabel) },
      // `add` also replaces, and works when the object has no annotations yet.
      { op: 'add', path: '/metadata/annotations', value: annotations },
    ];
  }

  private fled(): Set<string> {
    return new Set(this.ledger.history(this.opts.targetId).filter((e) => e.kind === 'rollback' && e.from !== null && e.from !== e.version).map((e) => e.from as string));
  }

  private async load(): Promise<Loaded> {
    const got = await this.client.get(this.path);
    if (!isOk(got)) return { ok: false, failure: kubeFailure(got, `GET ${this.describe()}`) };
    const dep = deploymentSchema.safeParse(got.body);
    if (!dep.success) return { ok: false, failure: { retryable: false, notFound: false, conflict: false, status: null, message: `GET ${this.describe()} answered an unexpected body` } };
    const listed = await this.client.list(`/apis/apps/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/replicasets`, {
      labelSelector: selectorQuery(dep.data.spec.selector),
    });
    if (!listed.ok) return { ok: false, failure: kubeFailure(listed.res, `LIST ReplicaSets of ${this.describe()}`) };
    const sets = listed.items.map((i) => replicaSetSchema.safeParse(i)).filter((p) => p.success).map((p) => p.data);
    const revs = revisions({ uid: dep.data.metadata.uid, template: dep.data.spec.template }, sets, DEPLOYMENT_FLAVOUR, this.opts);
    return { ok: true, dep: dep.data, revs, current: currentVersion(dep.data.spec.template, revs, this.opts) };
  }
}
