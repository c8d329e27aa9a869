import type { Clock } from '../../ports/clock.js';
import type { ExecuteOutcome, ExecuteRequest, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../../ports/rollback-adapter.js';
import { basisChanges, formatBasis, parseBasis } from '../basis.js';
import { ANNOTATION } from '../kubernetes/adapter.js';
import { isOk, kubeFailure, type KubeClient, type KubeFailure, type KubeResponse } from '../kubernetes/client.js';
import {
  ROLLOUT_FLAVOUR,
  currentVersion,
  findRevision,
  knownVersions,
  previousVersion,
  replicaSetSchema,
  revisions,
  selectorQuery,
  withoutHash,
  workloadBasis,
  type PodTemplate,
  type Revision,
  type VersionSelector,
} from '../kubernetes/workload.js';
import type { TargetLedger } from '../ledger.js';
import { clip, pollUntil } from '../support.js';
import { hasMoved, planOutdated, stagedTowards, targetMoved, type Refusal } from '../target-moved.js';
import { escapePointer, hashOf, inProgress, rolloutProgress, rolloutSchema, type Rollout } from './rollout.js';

/**
 * Rolls an Argo Rollout back with the patches its kubectl plugin sends:
 * - a running canary is first aborted (merge patch `{"status":{"abort":true}}` on the status
 *   subresource), which moves all traffic to the stable ReplicaSet at once;
 * - then `undo`: a JSON patch replacing `/spec/template` with the chosen revision's template,
 *   because an abort alone leaves the spec on the bad version and a retry would resume it;
 * - when the target is not the stable ReplicaSet (an older revision), the controller would
 *   walk the canary steps back towards it, so `promoteFull` skips the steps: in an incident
 *   the known-good version goes to 100 % at once.
 *
 * `shiftTraffic` (only during a canary, only towards its stable version): 100 % aborts;
 * anything less replaces the canary steps with `[setWeight: 100 - percent, pause: {}]`. The
 * controller restarts changed steps at index 0, so the canary is held at that weight until
 * someone acts. This edits `spec.strategy`: a GitOps tool with self-heal will revert it.
 *
 * Before moving anything the Rollout must still run the version approvers saw and the template
 * the plan was shown for. Patches are guarded by the resourceVersion just read; the controller
 * writes status all the time (right after an abort, for one), so a guard that trips is followed
 * by a fresh read and check, and only a real change of the template stops the rollback.
 */

export interface ArgoRolloutsOptions extends VersionSelector {
  targetId: string;
  namespace: string;
  rollout: string;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
  progress?: (line: string) => void;
}

type Loaded =
  | { ok: true; ro: Rollout; template: PodTemplate; revs: Revision[]; current: string | null; stable: Revision | undefined }
  | { ok: false; failure: KubeFailure };
type Ready = Extract<Loaded, { ok: true }>;

/** Conflicting writes ridden out (re-read, re-check, patch again) before asking for a retry. */
const MAX_CONFLICTS = 3;
const BASIS_FIELDS = ['template', 'restore', 'revision'] as const;

function after(done: readonly string[]): string {
  return done.length ? ` (after: ${done.join(', ')})` : '';
}

export class ArgoRolloutsAdapter implements RollbackAdapter {
  readonly kind = 'argo-rollouts';

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ArgoRolloutsOptions,
    private readonly ledger: TargetLedger,
    private readonly clock: Clock,
  ) {}

  describe(): string {
    return `argo-rollouts rollout ${this.opts.namespace}/${this.opts.rollout}`;
  }

  private get path(): string {
    return `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(this.opts.namespace)}/rollouts/${encodeURIComponent(this.opts.rollout)}`;
  }

  async versions(): Promise<VersionState> {
    const s = await this.load();
    if (!s.ok) throw new Error(s.failure.message);
    const fled = this.fled();
    // Mid-canary the stable ReplicaSet is what still serves most traffic: the natural way back.
    const stable = s.stable && !s.stable.current && s.stable.version !== null && !fled.has(s.stable.version) ? s.stable.version : null;
    const lastGood = stable ?? previousVersion(s.revs, s.current, fled);
    const cur = s.revs.find((r) => r.current);
    const created = cur?.rs.metadata.creationTimestamp;
    const deployedAt = (s.current !== null ? this.ledger.movedAt(this.opts.targetId, s.current) : null) ?? (created ? new Date(created) : null);
    return { current: s.current, lastGood, deployedAt };
  }

  async plan(to: string): Promise<RollbackPlan> {
    const s = await this.load();
    if (!s.ok) return { target: this.describe(), from: null, to, steps: [`cannot plan: ${s.failure.message}`] };
    const target = findRevision(s.revs, to, this.opts);
    if (!target) return { target: this.describe(), from: s.current, to, steps: [`cannot roll back: no ReplicaSet of ${this.describe()} has version ${to} (known: ${knownVersions(s.revs)})`] };
    const steps: string[] = [];
    const basis = this.basisOf(s, target);
    steps.push(`refuse if the rollout no longer runs this template (revision ${basis.revision || '?'}, template ${basis.template})`);
    if (inProgress(s.ro)) steps.push(`abort the running rollout: merge patch {"status":{"abort":true}} on the status subresource (traffic to stable ${s.stable?.version ?? s.ro.status?.stableRS ?? '?'})`);
    steps.push(`undo: JSON-patch /spec/template from ReplicaSet ${target.rs.metadata.name} (revision ${target.revision}, ${to}), guarded by resourceVersion (read again after a status write)`);
    const dry = await this.client.patch(this.path, 'json', this.undoPatch(s.ro, target, s.ro.metadata.resourceVersion, null), { dryRun: 'All' });
    steps.push(isOk(dry) ? 'server dry-run (dryRun=All): accepted' : `server dry-run (dryRun=All) refused: ${kubeFailure(dry, 'PATCH').message}`);
    if (hashOf(target) !== s.ro.status?.stableRS) steps.push(`promote fully ({"status":{"promoteFull":true}}): ${to} is not the stable ReplicaSet, so skip the canary steps back to it`);
    steps.push(`wait up to ${Math.round(this.opts.rolloutTimeoutMs / 1000)} s for phase Healthy with ${to} stable`);
    return { target: this.describe(), from: s.current, to, steps, basis: formatBasis(this.kind, basis) };
  }

  async preflight(to: string): Promise<PreflightResult> {
    const s = await this.load();
    if (!s.ok) return { ok: false, checks: [{ name: 'rollout readable', ok: false, detail: s.failure.message }] };
    const target = findRevision(s.revs, to, this.opts);
    const checks = [
      {
        name: 'target revision exists',
        ok: Boolean(target),
        detail: target ? `ReplicaSet ${target.rs.metadata.name} (revision ${target.revision}) has ${to}` : `no ReplicaSet of ${this.describe()} has version ${to} (known: ${knownVersions(s.revs)})`,
      },
    ];
    if (target) {
      const dry = await this.client.patch(this.path, 'json', this.undoPatch(s.ro, target, s.ro.metadata.resourceVersion, null), { dryRun: 'All' });
      checks.push({ name: 'server dry-run', ok: isOk(dry), detail: isOk(dry) ? 'dryRun=All accepted the undo patch' : kubeFailure(dry, 'PATCH dryRun=All').message });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    const prior = this.ledger.byKey(this.opts.targetId, req.idempotencyKey);
    if (prior && prior.version !== req.to) {
      return { ok: false, retryable: false, message: `idempotency key ${req.idempotencyKey} was already used to roll ${this.describe()} back to ${prior.version}` };
    }
    const s = await this.load();
    if (!s.ok) return { ok: false, retryable: s.failure.retryable, message: s.failure.message };
    const target = findRevision(s.revs, req.to, this.opts);
    if (prior) return this.finish(req.to, target, `already rolled back to ${req.to} for ${req.idempotencyKey}; nothing patched`, true);

    const record = () =>
      this.ledger.record({ target: this.opts.targetId, version: req.to, actor: req.actor, kind: 'rollback', from: s.current, idempotencyKey: req.idempotencyKey });
    // Our undo landed but its answer was lost: the annotation it wrote names this proposal.
    if (target?.current && s.ro.metadata.annotations?.[ANNOTATION.proposal] === req.idempotencyKey) {
      record();
      return this.finish(req.to, target, `${this.describe()} was already rolled back to ${req.to} for ${req.idempotencyKey}; nothing patched`, true);
    }
    const moved = this.refuseIfMoved(s, target, req);
    if (moved) return moved;
    if (!target) return { ok: false, retryable: false, message: `no ReplicaSet of ${this.describe()} has version ${req.to} (known: ${knownVersions(s.revs)})` };
    if (target.current && !inProgress(s.ro)) {
      record();
      return this.finish(req.to, target, `${this.describe()} already runs the template of revision ${target.revision}; nothing patched`, true);
    }
    if (target.current) {
      return { ok: false, retryable: false, message: `${req.to} is the version ${this.describe()} is rolling out now, not one to roll back to (stable: ${s.stable?.version ?? 'unknown'})` };
    }

    const done: string[] = [];
    let rv = s.ro.metadata.resourceVersion;
    if (inProgress(s.ro)) {
      const aborted = await this.patchStatus({ abort: true });
      if (!isOk(aborted)) return this.failed(aborted, 'abort', done);
      rv = rolloutSchema.safeParse(aborted.body).data?.metadata.resourceVersion ?? rv;
      done.push('aborted the running rollout');
    }
    const undone = await this.guarded(req, s, rv, 'undo', done, (view, t, at) => this.client.patch(this.path, 'json', this.undoPatch(view.ro, t, at, req)));
    if (!undone.ok) return undone.outcome;
    done.push(`restored the template of revision ${undone.target.revision}`);
    if (hashOf(undone.target) !== undone.view.ro.status?.stableRS) {
      const promoted = await this.patchStatus({ promoteFull: true });
      if (!isOk(promoted)) return this.failed(promoted, 'promote', done);
      done.push('promoted it fully');
    }
    record();
    return this.finish(req.to, undone.target, `rolled ${this.describe()} back from ${s.current ?? '(unknown)'} to ${req.to}: ${done.join(', ')}`, false);
  }

  async readBack(to: string): Promise<ReadBack> {
    const s = await this.load();
    if (!s.ok) return { confirmed: false, version: null, detail: s.failure.message };
    const target = findRevision(s.revs, to, this.opts);
    const p = rolloutProgress(s.ro, target ? hashOf(target) : undefined);
    return { confirmed: target?.current === true && p.state === 'done', version: s.current, detail: `${this.describe()} template is ${s.current ?? '(unknown)'}; ${p.detail}` };
  }

  async shiftTraffic(req: ExecuteRequest & { percent: number }): Promise<ExecuteOutcome> {
    const { percent } = req;
    if (!Number.isInteger(percent) || percent < 1 || percent > 100) return { ok: false, retryable: false, message: `percent must be a whole number from 1 to 100, not ${percent}` };
    const key = `${req.idempotencyKey}#${percent}`;
    if (this.ledger.byKey(this.opts.targetId, key)) return { ok: true, version: req.to, detail: `traffic already shifted to ${percent} % on ${req.to} for ${req.idempotencyKey}`, alreadyApplied: true };
    const s = await this.load();
    if (!s.ok) return { ok: false, retryable: s.failure.retryable, message: s.failure.message };
    // Earlier stages of this proposal leave the template alone, so they never count as a move.
    const moved = this.refuseIfMoved(s, findRevision(s.revs, req.to, this.opts), req, this.stagedBy(key, req.to));
    if (moved) return moved;
    if (!inProgress(s.ro) || !s.stable || s.stable.version !== req.to) {
      return { ok: false, retryable: false, message: `${this.describe()} can shift traffic only while a rollout is running and towards its stable version (${s.stable?.version ?? 'none'}), not ${req.to}` };
    }
    let detail: string;
    if (percent === 100) {
      const res = await this.patchStatus({ abort: true });
      if (!isOk(res)) return this.failed(res, 'shift traffic');
      detail = `aborted the running rollout: all traffic on stable ${req.to}; spec.template still ${s.current ?? '?'} until the rollback executes`;
    } else {
      if (!s.ro.spec.strategy?.canary) return { ok: false, retryable: false, message: `${this.describe()} is not a canary rollout: only 100 % (abort) applies` };
      const steps = [{ setWeight: 100 - percent }, { pause: {} }];
      const held = await this.guarded(req, s, s.ro.metadata.resourceVersion, 'shift traffic', [], (_view, _t, at) =>
        this.client.patch(this.path, 'json', [
          { op: 'test', path: '/metadata/resourceVersion', value: at },
          { op: 'replace', path: '/spec/strategy/canary/steps', value: steps },
        ]), this.stagedBy(key, req.to));
      if (!held.ok) return held.outcome;
      detail = `held the canary at ${100 - percent} % (${percent} % on stable ${req.to}) by replacing its steps with setWeight ${100 - percent} and an open pause`;
    }
    this.ledger.record({ target: this.opts.targetId, version: req.to, actor: req.actor, kind: 'shift', from: s.current, idempotencyKey: key });
    return { ok: true, version: req.to, detail, alreadyApplied: false };
  }

  /** Like the kubectl plugin: the status subresource first, the main resource where a CRD has none. */
  private async patchStatus(status: Record<string, unknown>): Promise<KubeResponse> {
    const res = await this.client.patch(`${this.path}/status`, 'merge', { status });
    return res.kind === 'response' && res.status === 404 ? this.client.patch(this.path, 'merge', { status }) : res;
  }

  private async finish(to: string, target: Revision | undefined, what: string, alreadyApplied: boolean): Promise<ExecuteOutcome> {
    const want = target ? hashOf(target) : undefined;
    const done = await pollUntil(this.clock, { deadlineMs: this.opts.rolloutTimeoutMs, intervalMs: this.opts.pollIntervalMs, progress: this.opts.progress }, async () => {
      const got = await this.client.get(this.path);
      if (!isOk(got)) {
        const f = kubeFailure(got, `GET ${this.describe()}`);
        return f.retryable ? { state: 'waiting', detail: f.message } : { state: 'failed', retryable: false, detail: f.message };
      }
      const ro = rolloutSchema.safeParse(got.body);
      return ro.success ? rolloutProgress(ro.data, want) : { state: 'failed', retryable: false, detail: 'the API server answered an unexpected Rollout body' };
    });
    if (done.state === 'done') return { ok: true, version: to, detail: `${what}; ${done.detail}`, alreadyApplied };
    if (done.state === 'failed') return { ok: false, retryable: done.retryable, message: `${what}, but ${done.detail}` };
    return { ok: false, retryable: true, message: `${what}, but the rollout did not finish within ${Math.round(this.opts.rolloutTimeoutMs / 1000)} s: ${done.detail}` };
  }

  private failed(res: KubeResponse, step: string, done: readonly string[] = []): ExecuteOutcome {
    const f = kubeFailure(res, `${step} ${this.describe()}`);
    return { ok: false, retryable: f.retryable, message: `${f.message}${after(done)}` };
  }

  /**
   * Sends a patch guarded by resourceVersion `rv`. When it meets a Rollout written since (the
   * controller's status updates do that constantly), reads it again, refuses if it now runs
   * another version or template than approved, and tries again with the fresh resourceVersion.
   */
  private async guarded(
    req: ExecuteRequest,
    first: Ready,
    rv: string | undefined,
    step: string,
    done: readonly string[],
    send: (view: Ready, target: Revision, rv: string | undefined) => Promise<KubeResponse>,
    alsoFine: readonly string[] = [],
  ): Promise<{ ok: true; view: Ready; target: Revision } | { ok: false; outcome: ExecuteOutcome }> {
    let view = first;
    for (let attempt = 1; ; attempt++) {
      const target = findRevision(view.revs, req.to, this.opts);
      if (!target) return { ok: false, outcome: { ok: false, retryable: false, message: `no ReplicaSet of ${this.describe()} has version ${req.to} any more${after(done)}` } };
      const res = await send(view, target, rv);
      if (isOk(res)) return { ok: true, view, target };
      const f = kubeFailure(res, `${step} ${this.describe()}`);
      // A failed `test` and an invalid patch both answer 422: only a changed resourceVersion tells them apart.
      const again = f.status === 422 || f.conflict ? await this.load() : undefined;
      if (!again?.ok || again.ro.metadata.resourceVersion === rv) return { ok: false, outcome: { ok: false, retryable: f.retryable, message: `${f.message}${after(done)}` } };
      const moved = this.refuseIfMoved(again, findRevision(again.revs, req.to, this.opts), req, alsoFine, done);
      if (moved) return { ok: false, outcome: moved };
      if (attempt >= MAX_CONFLICTS) {
        return { ok: false, outcome: { ok: false, retryable: true, message: `${this.describe()} kept changing during ${step} (${attempt} conflicting writes)${after(done)}; try again` } };
      }
      view = again;
      rv = again.ro.metadata.resourceVersion;
    }
  }

  /** What the plan is computed against (see workloadBasis); never the resourceVersion, which every status write bumps. */
  private basisOf(s: Ready, target: Revision | undefined) {
    return workloadBasis(s.template, s.revs, target, ROLLOUT_FLAVOUR);
  }

  /** Refuses when the Rollout runs another version than approvers saw, or another template than the plan shown. */
  private refuseIfMoved(s: Ready, target: Revision | undefined, req: ExecuteRequest, alsoFine: readonly string[] = [], done: readonly string[] = []): Refusal | null {
    if (hasMoved(req.expectedFrom, s.current, alsoFine)) return targetMoved(this.describe(), s.current, req.expectedFrom, done);
    const planned = parseBasis(req.planned, this.kind);
    const changes = planned ? basisChanges(planned, this.basisOf(s, target), BASIS_FIELDS) : [];
    return changes.length > 0 ? planOutdated(this.describe(), s.current, changes, done) : null;
  }

  /** `[to]` when an earlier stage of this proposal already shifted traffic to it. */
  private stagedBy(key: string, to: string): string[] {
    return stagedTowards(this.ledger.history(this.opts.targetId), key, to) ? [to] : [];
  }

  private undoPatch(ro: Rollout, target: Revision, rv: string | undefined, req: ExecuteRequest | null): unknown[] {
    const ops: unknown[] = [
      { op: 'test', path: '/metadata/resourceVersion', value: rv },
      { op: 'replace', path: '/spec/template', value: withoutHash(target.rs.spec.template, ROLLOUT_FLAVOUR.hashLabel) },
    ];
    if (req) {
      const notes: Record<string, string> = { [ANNOTATION.proposal]: req.idempotencyKey, [ANNOTATION.actor]: req.actor, [ANNOTATION.reason]: clip(req.reason, 250) };
      if (ro.metadata.annotations) for (const [k, v] of Object.entries(notes)) ops.push({ op: 'add', path: `/metadata/annotations/${escapePointer(k)}`, value: v });
      else ops.push({ op: 'add', path: '/metadata/annotations', value: notes });
    }
    return ops;
  }

  private fled(): Set<string> {
    return new Set(this.ledger.history(this.opts.targetId).filter((e) => e.kind === 'rollback' && e.from !== null && e.from !== e.version).map((e) => e.from as string));
  }

  private async load(): Promise<Loaded> {
    const got = await this.client.get(this.path);
    if (!isOk(got)) return { ok: false, failure: kubeFailure(got, `GET ${this.describe()}`) };
    const parsed = rolloutSchema.safeParse(got.body);
    if (!parsed.success) return { ok: false, failure: { retryable: false, notFound: false, conflict: false, status: null, message: `GET ${this.describe()} answered an unexpected body` } };
    const ro = parsed.data;
    if (!ro.spec.template || !ro.spec.selector) {
      const ref = ro.spec.workloadRef ? ` (it references ${ro.spec.workloadRef.kind ?? 'a workload'} ${ro.spec.workloadRef.name ?? ''}; roll that back instead)` : '';
      return { ok: false, failure: { retryable: false, notFound: false, conflict: false, status: null, message: `${this.describe()} has no pod template of its own${ref}` } };
    }
    const listed = await this.client.list(`/apis/apps/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/replicasets`, { labelSelector: selectorQuery(ro.spec.selector) });
    if (!listed.ok) return { ok: false, failure: kubeFailure(listed.res, `LIST ReplicaSets of ${this.describe()}`) };
    const sets = listed.items.map((i) => replicaSetSchema.safeParse(i)).filter((p) => p.success).map((p) => p.data);
    const revs = revisions({ uid: ro.metadata.uid, template: ro.spec.template }, sets, ROLLOUT_FLAVOUR, this.opts);
    const stable = revs.find((r) => hashOf(r) === ro.status?.stableRS);
    return { ok: true, ro, template: ro.spec.template, revs, current: currentVersion(ro.spec.template, revs, this.opts), stable };
  }
}
