import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KserveAdapter, type KserveOptions } from '../../src/adapters/kserve/adapter.js';
import { KubeClient } from '../../src/adapters/kubernetes/client.js';
import { TargetLedger } from '../../src/adapters/ledger.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';
import { describeRollbackAdapterContract } from './contract.js';
import { FakeKube, KUBE_SERVER, type Obj } from './fakes/kube-api.js';

const NS = 'ml';
const NAME = 'sklearn-iris';
const ISVC = `/apis/serving.kserve.io/v1beta1/namespaces/${NS}/inferenceservices/${NAME}`;
const rev = (n: number) => `${NAME}-predictor-${String(n).padStart(5, '0')}`;
const uri = (v: string) => `s3://models/iris/${v}`;

/** KServe's serverless reconcile of one predictor, following its ksvc reconciler's traffic rules. */
class KserveController {
  private revisions = 0;
  private lastUri: string | undefined;

  constructor(private readonly kube: FakeKube) {}

  reconcile(): void {
    const isvc = this.kube.get(ISVC);
    const spec = isvc.spec.predictor as Obj;
    isvc.status ??= { components: { predictor: {} } };
    const st = isvc.status.components.predictor as Obj;
    const canary = spec.canaryTrafficPercent as number | undefined;
    if (spec.model.storageUri !== this.lastUri) {
      this.lastUri = spec.model.storageUri;
      st.latestCreatedRevision = st.latestReadyRevision = rev(++this.revisions);
      st.latestRolledoutRevision ??= st.latestReadyRevision;
    }
    let last = st.latestRolledoutRevision as string;
    if (last === st.latestReadyRevision && canary !== undefined && canary < 100) last = st.previousRolledoutRevision;
    if (canary !== undefined && last) {
      st.traffic = [{ tag: 'latest', revisionName: st.latestReadyRevision, latestRevision: true, percent: canary }];
      if (canary < 100) st.traffic.push({ tag: 'prev', revisionName: last, latestRevision: false, percent: 100 - canary });
    } else {
      st.traffic = [{ tag: 'latest', revisionName: st.latestReadyRevision, latestRevision: true, percent: 100 }];
    }
    // A revision that got all the traffic becomes the last rolled out one.
    if (st.traffic.length === 1 && st.latestRolledoutRevision !== st.latestReadyRevision) {
      st.previousRolledoutRevision = st.latestRolledoutRevision;
      st.latestRolledoutRevision = st.latestReadyRevision;
    }
    isvc.status.observedGeneration = isvc.metadata.generation;
    isvc.status.conditions = [{ type: 'Ready', status: 'True' }, { type: 'PredictorReady', status: 'True' }];
  }

  /** What a human applying a new model (optionally as a canary) does. */
  deploy(version: string, canaryTrafficPercent?: number): void {
    this.kube.mutate(ISVC, (isvc) => {
      isvc.spec.predictor.model.storageUri = uri(version);
      if (canaryTrafficPercent === undefined) delete isvc.spec.predictor.canaryTrafficPercent;
      else isvc.spec.predictor.canaryTrafficPercent = canaryTrafficPercent;
    });
    this.reconcile();
  }
}

interface Setup {
  db: Db;
  kube: FakeKube;
  ctl: KserveController;
  adapter: KserveAdapter;
}

function setup(over: Partial<KserveOptions> = {}, deploys: Array<[string, number?]> = [['v1'], ['v2']]): Setup {
  const db = openDb(':memory:');
  const clock = new FakeClock();
  const kube = new FakeKube().install();
  kube.put(ISVC, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: NAME, namespace: NS, uid: 'uid-isvc-1' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: uri(deploys[0]?.[0] ?? 'v0') } } },
  });
  const ctl = new KserveController(kube);
  ctl.reconcile();
  for (const [v, canary] of deploys.slice(1)) ctl.deploy(v, canary);
  kube.controllers.push((path) => {
    if (path === ISVC) ctl.reconcile();
  });
  const adapter = new KserveAdapter(
    new KubeClient(() => ({ server: KUBE_SERVER, token: 'kube-token' }), 150),
    { targetId: `kserve:test:${NS}/${NAME}/predictor`, namespace: NS, inferenceService: NAME, component: 'predictor', versionFrom: 'revision', rolloutTimeoutMs: 60_000, pollIntervalMs: 5_000, ...over },
    new TargetLedger(db, clock),
    clock,
  );
  return { db, kube, ctl, adapter };
}

/** What the fake says serves: the latest revision while it has traffic, else the one with most. */
function serving(kube: FakeKube): string | null {
  const st = kube.get(ISVC).status.components.predictor as Obj;
  const traffic = st.traffic as Obj[];
  if (traffic.some((t) => t.revisionName === st.latestReadyRevision && t.percent > 0)) return st.latestReadyRevision;
  return [...traffic].sort((a, b) => b.percent - a.percent)[0]?.revisionName ?? null;
}

const traffic = (kube: FakeKube) => Object.fromEntries((kube.get(ISVC).status.components.predictor.traffic as Obj[]).map((t) => [t.revisionName, t.percent]));
const req = (to: string, idempotencyKey = 'prop-5', expectedFrom: string | null = rev(2)) => ({ to, expectedFrom, idempotencyKey, actor: 'U0APPROVER', reason: 'accuracy 0.61' });
/** The spec part of each merge patch Backstop persisted (the resourceVersion precondition aside). */
const patchedSpecs = (kube: FakeKube) => kube.http.requests.filter((r) => r.method === 'PATCH' && !r.query.has('dryRun')).map((w) => ({ spec: (w.body as Obj).spec }));
/** Runs `then` once, just before Backstop's first real (not dry-run) PATCH. */
const beforePatch = (kube: FakeKube, then: () => void) => {
  kube.beforeRequest = (r) => {
    if (r.method !== 'PATCH' || r.query.has('dryRun')) return;
    kube.beforeRequest = undefined;
    then();
  };
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

afterAll(() => {
  nock.enableNetConnect();
});

describeRollbackAdapterContract('kserve', async () => {
  const s = setup();
  return {
    adapter: s.adapter,
    seeded: { current: rev(2), lastGood: rev(1) },
    unknownVersion: rev(99),
    knowsVersions: true,
    serving: async () => serving(s.kube),
    moves: async () => s.kube.writesTo(ISVC),
    moveTarget: async () => {
      s.ctl.deploy('v3');
      return rev(3);
    },
    faults: {
      timeout: () => {
        s.kube.http.fault = { kind: 'timeout', ms: 600 };
        return {};
      },
      'server-error': () => {
        const message = 'Internal error occurred: failed calling webhook "inferenceservice.kserve-webhook-server.validator": context deadline exceeded';
        s.kube.http.fault = { kind: 'answer', status: 500, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'InternalError', code: 500 } };
        return { message };
      },
      'client-error': () => {
        const message = `inferenceservices.serving.kserve.io "${NAME}" is forbidden: User "system:serviceaccount:backstop:backstop" cannot patch resource "inferenceservices"`;
        s.kube.http.fault = { kind: 'answer', status: 403, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'Forbidden', code: 403 } };
        return { message };
      },
    },
    close: async () => {
      nock.cleanAll();
      s.db.close();
    },
  };
});

describe('KserveAdapter', () => {
  let s: Setup;
  const reset = (over: Partial<KserveOptions> = {}, deploys?: Array<[string, number?]>): Setup => {
    nock.cleanAll();
    s.db.close();
    s = setup(over, deploys);
    return s;
  };
  const writes = () => s.kube.http.requests.filter((r) => r.method === 'PATCH' && !r.query.has('dryRun'));

  beforeEach(() => {
    s = setup();
  });

  afterEach(() => {
    nock.cleanAll();
    s.db.close();
  });

  it('pins all traffic to the previous rolled-out revision with canaryTrafficPercent 0', async () => {
    const out = await s.adapter.execute(req(rev(1)));
    expect(out).toMatchObject({ ok: true, version: rev(1), alreadyApplied: false });
    expect(writes().map((w) => w.headers['content-type'])).toEqual(['application/merge-patch+json']);
    expect(patchedSpecs(s.kube)).toEqual([{ spec: { predictor: { canaryTrafficPercent: 0 } } }]);
    expect(traffic(s.kube)).toEqual({ [rev(2)]: 0, [rev(1)]: 100 });
    expect(await s.adapter.readBack(rev(1))).toMatchObject({ confirmed: true, version: rev(1) });
    // The revision rolled back from is not offered again.
    expect(await s.adapter.versions()).toMatchObject({ current: rev(1), lastGood: null });
  });

  it('during a canary, names the canary as current and pins back to the last rolled-out revision', async () => {
    reset({}, [['v1'], ['v2'], ['v3', 10]]);
    expect(traffic(s.kube)).toEqual({ [rev(3)]: 10, [rev(2)]: 90 });
    expect(await s.adapter.versions()).toMatchObject({ current: rev(3), lastGood: rev(2) });
    expect(await s.adapter.execute(req(rev(2), 'prop-5', rev(3)))).toMatchObject({ ok: true });
    expect(traffic(s.kube)).toEqual({ [rev(3)]: 0, [rev(2)]: 100 });
  });

  it('shifts part of the traffic with canaryTrafficPercent, once per key and percent', async () => {
    const out = await s.adapter.shiftTraffic({ ...req(rev(1)), percent: 30 });
    expect(out).toMatchObject({ ok: true, version: rev(1) });
    expect(patchedSpecs(s.kube)).toEqual([{ spec: { predictor: { canaryTrafficPercent: 70 } } }]);
    expect(traffic(s.kube)).toEqual({ [rev(2)]: 70, [rev(1)]: 30 });
    expect(await s.adapter.shiftTraffic({ ...req(rev(1)), percent: 30 })).toMatchObject({ ok: true, alreadyApplied: true });
    expect(await s.adapter.shiftTraffic({ ...req(rev(1)), percent: 100 })).toMatchObject({ ok: true, alreadyApplied: false });
    expect(traffic(s.kube)).toEqual({ [rev(2)]: 0, [rev(1)]: 100 });
  });

  it('plans with a server dry run and says which revision gets the traffic', async () => {
    const plan = await s.adapter.plan(rev(1));
    expect(plan.steps).toContain(`merge-patch {"spec":{"predictor":{"canaryTrafficPercent":0}}} (pin 100 % of traffic to ${rev(1)} with canaryTrafficPercent 0), guarded by the resourceVersion read just before`);
    expect(plan.steps).toContain('server dry-run (dryRun=All): accepted');
    expect(writes()).toHaveLength(0);
  });

  it('cannot pin a revision KServe no longer routes to, and names what it could', async () => {
    reset({}, [['v1'], ['v2'], ['v3']]);
    const out = await s.adapter.execute(req(rev(1), 'prop-5', rev(3)));
    expect(out).toMatchObject({ ok: false, retryable: false, message: `${rev(1)} is not a revision KServe can route kserve inferenceservice ${NS}/${NAME} predictor to: last rolled out ${rev(2)}, latest ready ${rev(3)}` });
  });

  it('counts traffic its own earlier stages moved towards the target as not moved', async () => {
    // Traffic was pinned back to revision 1 by hand; the rollback goes to the latest ready revision 2.
    reset({}, [['v1'], ['v2', 0]]);
    expect(await s.adapter.versions()).toMatchObject({ current: rev(1) });
    const stage = (percent: number, proposal = 'prop-5') => s.adapter.shiftTraffic({ ...req(rev(2), `${proposal}:${percent}`, rev(1)), percent });
    expect(await stage(30)).toMatchObject({ ok: true });
    // Revision 2 now takes traffic, so it is what serves: the next stage must not call that a move.
    expect((await s.adapter.versions()).current).toBe(rev(2));
    expect(await stage(60)).toMatchObject({ ok: true, alreadyApplied: false });
    // Another proposal approved against revision 1 did not put it there.
    expect(await stage(60, 'prop-6')).toMatchObject({ ok: false, code: 'target_moved', current: rev(2) });
    expect(await stage(100)).toMatchObject({ ok: true });
    expect(traffic(s.kube)).toEqual({ [rev(2)]: 100 });
  });

  it('rides out a status write between its read and its patch', async () => {
    beforePatch(s.kube, () => s.kube.mutate(ISVC, (isvc) => {
      isvc.status.conditions = [{ type: 'Ready', status: 'True', reason: 'Reconciled' }];
    }));
    expect(await s.adapter.execute(req(rev(1)))).toMatchObject({ ok: true, alreadyApplied: false });
    expect(traffic(s.kube)).toEqual({ [rev(2)]: 0, [rev(1)]: 100 });
    expect(s.kube.writesTo(ISVC)).toBe(1);
  });

  it('refuses, patching nothing, when a new model is deployed between its read and its patch', async () => {
    beforePatch(s.kube, () => s.ctl.deploy('v3'));
    expect(await s.adapter.execute(req(rev(1)))).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: rev(3) });
    expect(traffic(s.kube)).toEqual({ [rev(3)]: 100 });
    expect(s.kube.writesTo(ISVC)).toBe(0);
  });

  describe('the plan basis', () => {
    it('still holds after its own traffic stages', async () => {
      const plan = await s.adapter.plan(rev(1));
      expect(await s.adapter.shiftTraffic({ ...req(rev(1), 'prop-5:50'), percent: 50 })).toMatchObject({ ok: true });
      expect(await s.adapter.execute({ ...req(rev(1)), planned: plan.basis })).toMatchObject({ ok: true });
      expect(traffic(s.kube)).toEqual({ [rev(2)]: 0, [rev(1)]: 100 });
    });

    it('refuses a component spec changed since the plan', async () => {
      const plan = await s.adapter.plan(rev(1));
      s.kube.mutate(ISVC, (isvc) => {
        isvc.spec.predictor.minReplicas = 4;
      });
      const out = await s.adapter.execute({ ...req(rev(1)), planned: plan.basis });
      expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: rev(2) });
      expect(s.kube.writesTo(ISVC)).toBe(0);
    });

    it('refuses a plan from before a new revision, even when approvers saw no version', async () => {
      const plan = await s.adapter.plan(rev(1));
      s.ctl.deploy('v3');
      expect(await s.adapter.execute({ ...req(rev(1), 'prop-5', null), planned: plan.basis })).toMatchObject({ ok: false, code: 'target_moved', current: rev(3) });
      expect(s.kube.writesTo(ISVC)).toBe(0);
    });
  });

  describe('with versionFrom storageUri', () => {
    const byUri: Partial<KserveOptions> = { versionFrom: 'storageUri', storageUriTemplate: 's3://models/iris/{version}' };

    it('remembers the versions it saw serve, and points storageUri back to one', async () => {
      reset(byUri, [['v1']]);
      expect(await s.adapter.versions()).toMatchObject({ current: 'v1', lastGood: null });
      s.ctl.deploy('v2');
      expect(await s.adapter.versions()).toMatchObject({ current: 'v2', lastGood: 'v1' });
      const out = await s.adapter.execute(req('v1', 'prop-5', 'v2'));
      expect(out).toMatchObject({ ok: true, version: 'v1' });
      expect(patchedSpecs(s.kube)).toEqual([{ spec: { predictor: { canaryTrafficPercent: null, model: { storageUri: uri('v1') } } } }]);
      expect(s.kube.get(ISVC).spec.predictor.model.storageUri).toBe(uri('v1'));
      expect(await s.adapter.readBack('v1')).toMatchObject({ confirmed: true, version: 'v1' });
    });

    it('refuses a version it never saw serve, naming it', async () => {
      reset({ ...byUri, fallbackLastGood: 'v0' }, [['v1'], ['v2']]);
      const pre = await s.adapter.preflight('v7');
      expect(pre.ok).toBe(false);
      expect(pre.checks[0]?.detail).toContain('never seen');
      expect(pre.checks[0]?.detail).toContain('v7');
      expect((await s.adapter.preflight('v0')).ok).toBe(true);
    });

    it('moves traffic all at once only', async () => {
      reset(byUri, [['v1'], ['v2']]);
      expect(await s.adapter.shiftTraffic({ ...req('v1'), percent: 50 })).toMatchObject({ ok: false, retryable: false });
    });
  });
});
