import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArgoRolloutsAdapter, type ArgoRolloutsOptions } from '../../src/adapters/argo-rollouts/adapter.js';
import { KubeClient } from '../../src/adapters/kubernetes/client.js';
import { TargetLedger } from '../../src/adapters/ledger.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';
import { describeRollbackAdapterContract } from './contract.js';
import { FakeKube, KUBE_SERVER, type Obj } from './fakes/kube-api.js';

const NS = 'ml';
const NAME = 'ranker';
const RO = `/apis/argoproj.io/v1alpha1/namespaces/${NS}/rollouts/${NAME}`;
const RSS = `/apis/apps/v1/namespaces/${NS}/replicasets`;
const HASH = 'rollouts-pod-template-hash';
const image = (v: string) => `registry.example/ranker:${v}`;
const STEPS = [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: { duration: '10m' } }];

function template(v: string): Obj {
  return { metadata: { labels: { app: NAME } }, spec: { containers: [{ name: 'ranker', image: image(v) }] } };
}

/** The Argo Rollouts controller, reduced to what a rollback exercises. */
class RolloutController {
  templateChanges = 0;
  private lastHash = '';

  constructor(private readonly kube: FakeKube) {}

  reconcile(): void {
    const rs = this.kube.reconcileReplicaSets({
      ownerPath: RO,
      rsCollection: RSS,
      revisionAnnotation: 'rollout.argoproj.io/revision',
      historyAnnotation: 'rollout.argoproj.io/revision-history',
      hashLabel: HASH,
      ownerKind: 'Rollout',
    });
    const ro = this.kube.get(RO);
    const hash: string = rs.metadata.labels[HASH];
    if (this.lastHash && hash !== this.lastHash) this.templateChanges++;
    this.lastHash = hash;
    const st: Obj = ro.status ?? {};
    const stepHash = JSON.stringify(ro.spec.strategy.canary.steps);
    if (st.currentStepHash !== stepHash) st.currentStepIndex = 0;
    st.currentStepHash = stepHash;
    st.currentPodHash = hash;
    if (!st.stableRS || st.promoteFull || st.stableRS === hash) {
      Object.assign(st, { stableRS: hash, phase: 'Healthy', message: undefined, abort: undefined, promoteFull: undefined, currentStepIndex: ro.spec.strategy.canary.steps.length });
      st.canary = { weights: { canary: { weight: 0, podTemplateHash: hash }, stable: { weight: 100, podTemplateHash: hash } } };
    } else if (st.abort) {
      Object.assign(st, { phase: 'Degraded', message: `RolloutAborted: Rollout aborted update to revision ${rs.metadata.annotations['rollout.argoproj.io/revision']}` });
      st.canary = { weights: { canary: { weight: 0, podTemplateHash: hash }, stable: { weight: 100, podTemplateHash: st.stableRS } } };
    } else {
      const steps = ro.spec.strategy.canary.steps as Obj[];
      const weight = steps.slice(0, (st.currentStepIndex ?? 0) + 1).reduce((w: number, s) => (s.setWeight ?? w) as number, 0);
      Object.assign(st, { phase: 'Paused', message: 'CanaryPauseStep' });
      st.canary = { weights: { canary: { weight, podTemplateHash: hash }, stable: { weight: 100 - weight, podTemplateHash: st.stableRS } } };
    }
    st.observedGeneration = String(ro.metadata.generation);
    Object.assign(st, { replicas: ro.spec.replicas, updatedReplicas: ro.spec.replicas, availableReplicas: ro.spec.replicas });
    ro.status = st;
  }
}

function seedRollout(kube: FakeKube, versions: string[], opts: { canaryRunning: boolean }): RolloutController {
  const ctl = new RolloutController(kube);
  kube.put(RO, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: NAME, namespace: NS, uid: 'uid-rollout-1', annotations: { 'argocd.argoproj.io/tracking-id': 'ranker:argoproj.io/Rollout:ml/ranker' } },
    spec: { replicas: 4, selector: { matchLabels: { app: NAME } }, template: template(versions[0] ?? 'v0'), strategy: { canary: { steps: STEPS } } },
  });
  ctl.reconcile();
  versions.slice(1).forEach((v, i) => {
    const ro = kube.get(RO);
    ro.spec.template = template(v);
    ro.metadata.generation += 1;
    // Every earlier version was promoted; the last one is still a running canary if asked.
    if (!(opts.canaryRunning && i === versions.length - 2)) ro.status.promoteFull = true;
    ctl.reconcile();
  });
  ctl.templateChanges = 0;
  kube.controllers.push((path) => {
    if (path === RO) ctl.reconcile();
  });
  return ctl;
}

interface Setup {
  db: Db;
  kube: FakeKube;
  ctl: RolloutController;
  adapter: ArgoRolloutsAdapter;
}

function setup(over: Partial<ArgoRolloutsOptions> = {}, canaryRunning = true): Setup {
  const db = openDb(':memory:');
  const clock = new FakeClock();
  const kube = new FakeKube().install();
  const ctl = seedRollout(kube, ['v40', 'v41', 'v42'], { canaryRunning });
  const adapter = new ArgoRolloutsAdapter(
    new KubeClient(() => ({ server: KUBE_SERVER, token: 'kube-token' }), 150),
    { targetId: `argo-rollouts:test:${NS}/${NAME}`, namespace: NS, rollout: NAME, versionFrom: 'image', versionLabel: 'app.kubernetes.io/version', rolloutTimeoutMs: 60_000, pollIntervalMs: 5_000, ...over },
    new TargetLedger(db, clock),
    clock,
  );
  return { db, kube, ctl, adapter };
}

const serving = (kube: FakeKube): string => kube.get(RO).spec.template.spec.containers[0].image;
const req = (to: string, idempotencyKey = 'prop-3', expectedFrom: string | null = image('v42')) => ({ to, expectedFrom, idempotencyKey, actor: 'U0APPROVER', reason: 'NDCG fell 12 %' });
/** CI applies a new template behind Backstop's back (Argo Rollouts starts a canary of it). */
const ciDeploys = (kube: FakeKube, change: (t: Obj) => void) => kube.mutate(RO, (ro) => change(ro.spec.template));
/** Runs `then` once, just before Backstop's first real (not dry-run) PATCH of the Rollout itself. */
const beforeUndo = (kube: FakeKube, then: () => void) => {
  kube.beforeRequest = (r) => {
    if (r.method !== 'PATCH' || r.path !== RO || r.query.has('dryRun')) return;
    kube.beforeRequest = undefined;
    then();
  };
};
const status = (message: string, code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

afterAll(() => {
  nock.enableNetConnect();
});

describeRollbackAdapterContract('argo-rollouts', async () => {
  const s = setup();
  return {
    adapter: s.adapter,
    seeded: { current: image('v42'), lastGood: image('v41') },
    unknownVersion: image('v999'),
    knowsVersions: true,
    serving: async () => serving(s.kube),
    moves: async () => s.ctl.templateChanges,
    moveTarget: async () => {
      ciDeploys(s.kube, (t) => Object.assign(t, template('v43')));
      return image('v43');
    },
    faults: {
      timeout: () => {
        s.kube.http.fault = { kind: 'timeout', ms: 600 };
        return {};
      },
      'server-error': () => {
        s.kube.http.fault = { kind: 'answer', status: 503, body: status('the server is currently unable to handle the request', 503, 'ServiceUnavailable') };
        return { message: 'the server is currently unable to handle the request' };
      },
      'client-error': () => {
        const message = `rollouts.argoproj.io "${NAME}" is forbidden: User "system:serviceaccount:backstop:backstop" cannot patch resource "rollouts/status" in API group "argoproj.io" in the namespace "${NS}"`;
        s.kube.http.fault = { kind: 'answer', status: 403, body: status(message, 403, 'Forbidden') };
        return { message };
      },
    },
    close: async () => {
      nock.cleanAll();
      s.db.close();
    },
  };
});

describe('ArgoRolloutsAdapter', () => {
  let s: Setup;
  const reset = (over: Partial<ArgoRolloutsOptions> = {}, canaryRunning = true): Setup => {
    nock.cleanAll();
    s.db.close();
    s = setup(over, canaryRunning);
    return s;
  };

  beforeEach(() => {
    s = setup();
  });

  afterEach(() => {
    nock.cleanAll();
    s.db.close();
  });

  const writes = () => s.kube.http.requests.filter((r) => r.method === 'PATCH' && !r.query.has('dryRun'));

  it('aborts a running canary, then restores the stable template so a retry cannot resume it', async () => {
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: true, alreadyApplied: false });
    if (out.ok) expect(out.detail).toContain('aborted the running rollout, restored the template of revision 2');
    const [abort, undo] = writes();
    expect(abort).toMatchObject({ path: `${RO}/status`, body: { status: { abort: true } } });
    expect(abort?.headers['content-type']).toBe('application/merge-patch+json');
    expect(undo?.headers['content-type']).toBe('application/json-patch+json');
    const ops = undo?.body as Obj[];
    expect(ops[0]).toMatchObject({ op: 'test', path: '/metadata/resourceVersion' });
    expect(ops[1]).toEqual({ op: 'replace', path: '/spec/template', value: template('v41') });
    expect(ops[2]).toEqual({ op: 'add', path: '/metadata/annotations/backstop.dev~1rollback-proposal', value: 'prop-3' });
    expect(writes()).toHaveLength(2);
    expect(s.kube.get(RO).status).toMatchObject({ phase: 'Healthy' });
  });

  it('promotes fully when rolling back to a revision that is not the stable one', async () => {
    const out = await s.adapter.execute(req(image('v40')));
    expect(out).toMatchObject({ ok: true });
    expect(writes().map((w) => w.body)).toEqual([
      { status: { abort: true } },
      expect.arrayContaining([{ op: 'replace', path: '/spec/template', value: template('v40') }]),
      { status: { promoteFull: true } },
    ]);
    expect(serving(s.kube)).toBe(image('v40'));
  });

  it('rolls a healthy rollout back with undo and full promotion, no abort', async () => {
    reset({}, false);
    expect(await s.adapter.versions()).toMatchObject({ current: image('v42'), lastGood: image('v41') });
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: true });
    expect(writes().map((w) => w.path)).toEqual([RO, `${RO}/status`]);
    expect(await s.adapter.readBack(image('v41'))).toMatchObject({ confirmed: true });
  });

  it('plans the abort and undo with a dry run, changing nothing', async () => {
    const plan = await s.adapter.plan(image('v41'));
    const abort = plan.steps.findIndex((step) => step.includes('abort the running rollout'));
    expect(abort).toBeGreaterThanOrEqual(0);
    expect(abort).toBeLessThan(plan.steps.findIndex((step) => step.startsWith('undo')));
    expect(plan.steps).toContain('server dry-run (dryRun=All): accepted');
    expect(writes()).toHaveLength(0);
  });

  it('shifts part of the traffic back by holding the canary at a lower weight', async () => {
    const out = await s.adapter.shiftTraffic({ ...req(image('v41')), percent: 60 });
    expect(out).toMatchObject({ ok: true, version: image('v41'), alreadyApplied: false });
    expect(s.kube.get(RO).spec.strategy.canary.steps).toEqual([{ setWeight: 40 }, { pause: {} }]);
    expect(s.kube.get(RO).status.canary.weights.stable.weight).toBe(60);
    expect(await s.adapter.shiftTraffic({ ...req(image('v41')), percent: 60 })).toMatchObject({ ok: true, alreadyApplied: true });
    expect(writes()).toHaveLength(1);
  });

  it('shifts all traffic back with an abort, leaving the template for execute', async () => {
    const out = await s.adapter.shiftTraffic({ ...req(image('v41')), percent: 100 });
    expect(out).toMatchObject({ ok: true });
    expect(s.kube.get(RO).status).toMatchObject({ abort: true, phase: 'Degraded' });
    expect(serving(s.kube)).toBe(image('v42'));
    expect(await s.adapter.execute(req(image('v41'), 'prop-4'))).toMatchObject({ ok: true });
    expect(serving(s.kube)).toBe(image('v41'));
  });

  it('refuses to shift traffic when no canary runs, or towards a version that is not stable', async () => {
    expect(await s.adapter.shiftTraffic({ ...req(image('v40')), percent: 50 })).toMatchObject({ ok: false, retryable: false });
    expect(await s.adapter.shiftTraffic({ ...req(image('v41')), percent: 0 })).toMatchObject({ ok: false, retryable: false });
    reset({}, false);
    expect(await s.adapter.shiftTraffic({ ...req(image('v41')), percent: 50 })).toMatchObject({ ok: false, retryable: false });
    expect(writes()).toHaveLength(0);
  });

  it("rides out the controller's status write between the abort and the undo", async () => {
    // The controller reacts to the abort with a status update: a new resourceVersion, same spec.
    beforeUndo(s.kube, () => s.kube.mutate(RO, (ro) => {
      ro.status.message = 'RolloutAborted: Rollout aborted update to revision 3';
    }));
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: true, alreadyApplied: false });
    expect(serving(s.kube)).toBe(image('v41'));
    expect(s.kube.get(RO).status).toMatchObject({ phase: 'Healthy' });
    expect(s.ctl.templateChanges).toBe(1);
    // The first undo met the newer resourceVersion and was refused; the second, after a fresh read, landed.
    expect(writes().filter((w) => w.path === RO)).toHaveLength(2);
  });

  it('stops after the abort, restoring nothing, when CI applied a new template before the undo', async () => {
    beforeUndo(s.kube, () => ciDeploys(s.kube, (t) => Object.assign(t, template('v43'))));
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: image('v43') });
    if (!out.ok) expect(out.message).toContain('stopped after: aborted the running rollout');
    expect(serving(s.kube)).toBe(image('v43'));
  });

  describe('the plan basis', () => {
    it('still holds after traffic stages and status writes, so the rollback runs as shown', async () => {
      const plan = await s.adapter.plan(image('v41'));
      expect(await s.adapter.shiftTraffic({ ...req(image('v41'), 'prop-3:40'), percent: 40 })).toMatchObject({ ok: true });
      expect(await s.adapter.shiftTraffic({ ...req(image('v41'), 'prop-3:100'), percent: 100 })).toMatchObject({ ok: true });
      expect(await s.adapter.execute({ ...req(image('v41')), planned: plan.basis })).toMatchObject({ ok: true, alreadyApplied: false });
      expect(serving(s.kube)).toBe(image('v41'));
    });

    it('refuses a template changed since the plan although the image reads the same', async () => {
      const plan = await s.adapter.plan(image('v41'));
      ciDeploys(s.kube, (t) => {
        t.spec.containers[0].env = [{ name: 'RANKER_TOPK', value: '50' }];
      });
      const out = await s.adapter.execute({ ...req(image('v41')), planned: plan.basis });
      expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: image('v42') });
      expect(s.kube.get(RO).spec.template.spec.containers[0].env).toEqual([{ name: 'RANKER_TOPK', value: '50' }]);
      expect(writes()).toHaveLength(0);
    });

    it('refuses a plan from before CI deployed a new version', async () => {
      const plan = await s.adapter.plan(image('v41'));
      ciDeploys(s.kube, (t) => Object.assign(t, template('v43')));
      expect(await s.adapter.execute({ ...req(image('v41'), 'prop-3', null), planned: plan.basis })).toMatchObject({ ok: false, code: 'target_moved', current: image('v43') });
      expect(serving(s.kube)).toBe(image('v43'));
      expect(writes()).toHaveLength(0);
    });
  });

  it('refuses to shift traffic on a rollout that now runs another version', async () => {
    ciDeploys(s.kube, (t) => Object.assign(t, template('v43')));
    expect(await s.adapter.shiftTraffic({ ...req(image('v41'), 'prop-3:50'), percent: 50 })).toMatchObject({ ok: false, code: 'target_moved', current: image('v43') });
    expect(writes()).toHaveLength(0);
  });

  it('says which workload to roll back when the rollout references a Deployment', async () => {
    const ro = s.kube.get(RO);
    delete ro.spec.template;
    delete ro.spec.selector;
    ro.spec.workloadRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ranker-base' };
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: false, retryable: false, message: `argo-rollouts rollout ${NS}/${NAME} has no pod template of its own (it references Deployment ranker-base; roll that back instead)` });
  });

  it('reports a degraded rollout as a failed rollback', async () => {
    s.kube.controllers.push(() => {
      Object.assign(s.kube.get(RO).status, { phase: 'Degraded', message: 'ProgressDeadlineExceeded: ReplicaSet "ranker-abc" has timed out progressing.' });
    });
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: false, retryable: false });
    if (!out.ok) expect(out.message).toContain('rollout is Degraded: ProgressDeadlineExceeded');
  });
});
