import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/adapters/kubernetes/client.js';
import { KubernetesAdapter, type KubernetesOptions } from '../../src/adapters/kubernetes/adapter.js';
import { TargetLedger } from '../../src/adapters/ledger.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';
import { describeRollbackAdapterContract } from './contract.js';
import { FakeKube, KUBE_SERVER, type Obj } from './fakes/kube-api.js';

const NS = 'ml';
const NAME = 'fraud-scorer';
const DEP = `/apis/apps/v1/namespaces/${NS}/deployments/${NAME}`;
const RSS = `/apis/apps/v1/namespaces/${NS}/replicasets`;
const TOKEN = 'eyJhbGciOi-kube-token-do-not-leak';
const image = (v: string) => `registry.example/fraud-scorer:${v}`;

function template(v: string): Obj {
  return {
    metadata: { labels: { app: NAME, 'app.kubernetes.io/version': v } },
    spec: { containers: [{ name: 'scorer', image: image(v), ports: [{ containerPort: 8080 }] }, { name: 'proxy', image: 'envoyproxy/envoy:v1.30' }] },
  };
}

/** A Deployment deployed through `versions` in order, with the controller's ReplicaSet bookkeeping. */
function seedDeployment(kube: FakeKube, versions: string[], opts: { lagPolls?: number } = {}): void {
  const reconcile = () => {
    const rs = kube.reconcileReplicaSets({
      ownerPath: DEP,
      rsCollection: RSS,
      revisionAnnotation: 'deployment.kubernetes.io/revision',
      historyAnnotation: 'deployment.kubernetes.io/revision-history',
      hashLabel: 'pod-template-hash',
      ownerKind: 'Deployment',
    });
    const dep = kube.get(DEP);
    dep.metadata.annotations = { ...dep.metadata.annotations, 'deployment.kubernetes.io/revision': rs.metadata.annotations['deployment.kubernetes.io/revision'] };
    const lag = opts.lagPolls ?? 0;
    const n: number = dep.spec.replicas;
    dep.status = {
      observedGeneration: dep.metadata.generation,
      replicas: lag > 0 ? n + 1 : n,
      updatedReplicas: lag > 0 ? 1 : n,
      availableReplicas: lag > 0 ? n - 1 : n,
      conditions: [{ type: 'Progressing', status: 'True', reason: lag > 0 ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable' }],
    };
    let left = lag;
    kube.beforeGet = (path) => {
      if (path !== DEP || left <= 0) return;
      left--;
      const d = kube.get(DEP);
      d.status = left > 0 ? { ...d.status, updatedReplicas: n, replicas: n + 1, availableReplicas: n - 1 } : { ...d.status, updatedReplicas: n, replicas: n, availableReplicas: n };
    };
  };
  kube.put(DEP, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME, namespace: NS, uid: 'uid-deploy-1', annotations: { 'kubernetes.io/change-cause': `deploy ${versions[0] ?? ''}` } },
    spec: { replicas: 3, selector: { matchLabels: { app: NAME } }, template: template(versions[0] ?? 'v0') },
  });
  reconcile();
  for (const v of versions.slice(1)) {
    const dep = kube.get(DEP);
    dep.spec.template = template(v);
    dep.metadata.generation += 1;
    dep.metadata.annotations['kubernetes.io/change-cause'] = `deploy ${v}`;
    reconcile();
  }
  kube.controllers.push((path) => {
    if (path === DEP) reconcile();
  });
}

interface Setup {
  db: Db;
  clock: FakeClock;
  kube: FakeKube;
  adapter: KubernetesAdapter;
  progress: string[];
}

function setup(over: Partial<KubernetesOptions> = {}, seed: { versions?: string[]; lagPolls?: number } = {}): Setup {
  const db = openDb(':memory:');
  const clock = new FakeClock();
  const kube = new FakeKube().install();
  seedDeployment(kube, seed.versions ?? ['v40', 'v41', 'v42'], { lagPolls: seed.lagPolls });
  const progress: string[] = [];
  const adapter = new KubernetesAdapter(
    new KubeClient(() => ({ server: KUBE_SERVER, token: TOKEN }), 150),
    {
      targetId: `kubernetes:test:${NS}/${NAME}`,
      namespace: NS,
      deployment: NAME,
      versionFrom: 'image',
      container: 'scorer',
      versionLabel: 'app.kubernetes.io/version',
      rolloutTimeoutMs: 60_000,
      pollIntervalMs: 5_000,
      progress: (l) => progress.push(l),
      ...over,
    },
    new TargetLedger(db, clock),
    clock,
  );
  return { db, clock, kube, adapter, progress };
}

/** Another adapter on the same cluster with an empty ledger (a restarted Backstop on a fresh database). */
function setupAdapterOnly(s: Setup): KubernetesAdapter {
  const db = openDb(':memory:');
  return new KubernetesAdapter(
    new KubeClient(() => ({ server: KUBE_SERVER, token: TOKEN }), 150),
    { targetId: `kubernetes:test:${NS}/${NAME}`, namespace: NS, deployment: NAME, versionFrom: 'image', container: 'scorer', versionLabel: 'app.kubernetes.io/version', rolloutTimeoutMs: 60_000, pollIntervalMs: 5_000 },
    new TargetLedger(db, s.clock),
    s.clock,
  );
}

const servingImage = (kube: FakeKube): string => kube.get(DEP).spec.template.spec.containers[0].image;
const req = (to: string, idempotencyKey = 'prop-7', expectedFrom: string | null = image('v42')) => ({ to, expectedFrom, idempotencyKey, actor: 'U0APPROVER', reason: 'p99 latency 310 ms > 250 ms' });
/** CI applies a new template behind Backstop's back. */
const ciDeploys = (kube: FakeKube, change: (t: Obj) => void) => kube.mutate(DEP, (d) => change(d.spec.template));

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

afterAll(() => {
  nock.enableNetConnect();
});

describeRollbackAdapterContract('kubernetes', async () => {
  const s = setup();
  return {
    adapter: s.adapter,
    seeded: { current: image('v42'), lastGood: image('v41') },
    unknownVersion: image('v999'),
    knowsVersions: true,
    serving: async () => servingImage(s.kube),
    moves: async () => s.kube.writesTo(DEP),
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
        s.kube.http.fault = { kind: 'answer', status: 500, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'etcdserver: request timed out', reason: 'InternalError', code: 500 } };
        return { message: 'etcdserver: request timed out' };
      },
      'client-error': () => {
        const message = `deployments.apps "${NAME}" is forbidden: User "system:serviceaccount:backstop:backstop" cannot patch resource "deployments" in API group "apps" in the namespace "${NS}"`;
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

describe('KubernetesAdapter', () => {
  let s: Setup;

  beforeEach(() => {
    s = setup();
  });

  afterEach(() => {
    nock.cleanAll();
    s.db.close();
  });

  const patches = () => s.kube.http.requests.filter((r) => r.method === 'PATCH');
  // One fake API server at a time: nock answers from the first scope installed for a host.
  const reset = (over: Partial<KubernetesOptions> = {}, seed: { versions?: string[]; lagPolls?: number } = {}): Setup => {
    nock.cleanAll();
    s.db.close();
    s = setup(over, seed);
    return s;
  };

  it('sends one guarded JSON patch restoring the template without its hash label, as kubectl does', async () => {
    const before = s.kube.get(DEP);
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: true, version: image('v41'), alreadyApplied: false });
    const [patch] = patches().filter((p) => !p.query.has('dryRun'));
    expect(patch?.headers['content-type']).toBe('application/json-patch+json');
    expect(patch?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const ops = patch?.body as Obj[];
    expect(ops[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: before.metadata.resourceVersion });
    expect(ops[1]).toEqual({ op: 'replace', path: '/spec/template', value: template('v41') });
    expect(ops[2]?.value).toMatchObject({
      'kubernetes.io/change-cause': 'deploy v41',
      'deployment.kubernetes.io/revision': '3',
      'backstop.dev/rollback-proposal': 'prop-7',
      'backstop.dev/rollback-approved-by': 'U0APPROVER',
      'backstop.dev/rollback-reason': 'p99 latency 310 ms > 250 ms',
    });
    // The controller reused the revision-2 ReplicaSet as revision 4, as a real rollback does.
    const reused = s.kube.list(RSS).find((rs) => rs.spec.template.spec.containers[0].image === image('v41'));
    expect(reused?.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '4', 'deployment.kubernetes.io/revision-history': '2' });
  });

  it('plans with a server-side dry run that persists nothing', async () => {
    const plan = await s.adapter.plan(image('v41'));
    expect(plan.from).toBe(image('v42'));
    expect(plan.steps).toContain('server dry-run (dryRun=All): accepted');
    expect(patches().map((p) => p.query.get('dryRun'))).toEqual(['All']);
    expect(s.kube.writesTo(DEP)).toBe(0);
  });

  it('refuses a paused deployment before and at execution', async () => {
    s.kube.get(DEP).spec.paused = true;
    const pre = await s.adapter.preflight(image('v41'));
    expect(pre.checks.find((c) => c.name === 'deployment not paused')).toMatchObject({ ok: false });
    expect(await s.adapter.execute(req(image('v41')))).toMatchObject({ ok: false, retryable: false, message: `kubernetes deployment ${NS}/${NAME} is paused; resume it (kubectl rollout resume) before rolling back` });
    expect(s.kube.writesTo(DEP)).toBe(0);
  });

  it('rides out a status write and a scale between its read and its patch, patching once', async () => {
    s.kube.beforeRequest = (r) => {
      if (r.method !== 'PATCH' || r.query.has('dryRun')) return;
      s.kube.beforeRequest = undefined;
      // The scale bumps generation and resourceVersion; the controller's status write bumps it again.
      s.kube.mutate(DEP, (d) => {
        d.spec.replicas = 5;
      });
    };
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: true, alreadyApplied: false });
    expect(servingImage(s.kube)).toBe(image('v41'));
    expect(s.kube.get(DEP).spec.replicas).toBe(5);
    expect(s.kube.writesTo(DEP)).toBe(1);
  });

  it('refuses, patching nothing, when CI applied a new template between its read and its patch', async () => {
    s.kube.beforeRequest = (r) => {
      if (r.method !== 'PATCH' || r.query.has('dryRun')) return;
      s.kube.beforeRequest = undefined;
      ciDeploys(s.kube, (t) => Object.assign(t, template('v43')));
    };
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: image('v43') });
    expect(servingImage(s.kube)).toBe(image('v43'));
    expect(s.kube.writesTo(DEP)).toBe(0);
  });

  describe('the plan basis', () => {
    it('still holds after status writes and a scale, so the rollback runs as shown', async () => {
      const plan = await s.adapter.plan(image('v41'));
      expect(plan.basis).toBeDefined();
      s.kube.mutate(DEP, (d) => {
        d.spec.replicas = 6;
      });
      s.kube.mutate(DEP, (d) => {
        d.status.availableReplicas = 6;
      });
      expect(await s.adapter.execute({ ...req(image('v41')), planned: plan.basis })).toMatchObject({ ok: true, alreadyApplied: false });
      expect(servingImage(s.kube)).toBe(image('v41'));
    });

    it('refuses a template changed since the plan although the version reads the same', async () => {
      const plan = await s.adapter.plan(image('v41'));
      // Someone bumps the sidecar: the scorer image (the version) is unchanged, the pods are not.
      ciDeploys(s.kube, (t) => {
        t.spec.containers[1].image = 'envoyproxy/envoy:v1.31';
      });
      const out = await s.adapter.execute({ ...req(image('v41')), planned: plan.basis });
      expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: image('v42') });
      if (!out.ok) expect(out.message).toContain('template');
      expect(s.kube.get(DEP).spec.template.spec.containers[1].image).toBe('envoyproxy/envoy:v1.31');
      expect(s.kube.writesTo(DEP)).toBe(0);
    });

    it('refuses a plan from before CI deployed a new version, even when approvers saw no version', async () => {
      const plan = await s.adapter.plan(image('v41'));
      ciDeploys(s.kube, (t) => Object.assign(t, template('v43')));
      const out = await s.adapter.execute({ ...req(image('v41'), 'prop-7', null), planned: plan.basis });
      expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: image('v43') });
      expect(servingImage(s.kube)).toBe(image('v43'));
    });

    it('ignores a basis another adapter kind wrote', async () => {
      const out = await s.adapter.execute({ ...req(image('v41')), planned: 'kind=argo-rollouts;template=000000000000' });
      expect(out).toMatchObject({ ok: true });
    });
  });

  it('recognises its own patch whose answer was lost, instead of calling it a move', async () => {
    s.kube.rejectPatch = null;
    const first = await s.adapter.execute(req(image('v41'), 'prop-lost'));
    expect(first.ok).toBe(true);
    // A second Backstop (or the first after a restart) without the ledger row.
    const fresh = setupAdapterOnly(s);
    expect(await fresh.execute(req(image('v41'), 'prop-lost'))).toMatchObject({ ok: true, alreadyApplied: true });
    expect(await fresh.execute(req(image('v41'), 'prop-other'))).toMatchObject({ ok: false, code: 'target_moved', current: image('v41') });
    expect(s.kube.writesTo(DEP)).toBe(1);
  });

  it('reports a refused patch as fatal with the API server\'s words', async () => {
    s.kube.rejectPatch = [422, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'admission webhook "policy.example" denied the request: images must be signed', reason: 'Invalid', code: 422 }];
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: false, retryable: false });
    if (!out.ok) expect(out.message).toContain('admission webhook "policy.example" denied the request: images must be signed');
  });

  it('waits for the rollout and reports its progress', async () => {
    const slow = reset({}, { lagPolls: 2 });
    const out = await slow.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: true, detail: expect.stringContaining('3 of 3 replicas updated and available') });
    expect(slow.progress).toEqual(['1 old replicas pending termination', '3 of 3 replicas updated and available']);
  });

  it('says the rollout did not finish in time, and a retry waits again without patching twice', async () => {
    const slow = reset({ rolloutTimeoutMs: 5_000 }, { lagPolls: 3 });
    const first = await slow.adapter.execute(req(image('v41')));
    expect(first).toMatchObject({ ok: false, retryable: true });
    if (!first.ok) expect(first.message).toContain('did not finish within 5 s');
    const second = await slow.adapter.execute(req(image('v41')));
    expect(second).toMatchObject({ ok: true, alreadyApplied: true });
    expect(slow.kube.writesTo(DEP)).toBe(1);
  });

  it('stops at a progress deadline and says why', async () => {
    s.kube.controllers.push(() => {
      const dep = s.kube.get(DEP);
      dep.status.conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "fraud-scorer-abc" has timed out progressing.' }];
    });
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: false, retryable: false });
    if (!out.ok) expect(out.message).toContain('progress deadline: ReplicaSet "fraud-scorer-abc" has timed out progressing.');
  });

  it('ignores ReplicaSets the deployment does not own, and follows LIST pages', async () => {
    s.kube.pageSize = 1;
    s.kube.put(`${RSS}/impostor`, {
      metadata: { name: 'impostor', labels: { app: NAME }, annotations: { 'deployment.kubernetes.io/revision': '9' }, ownerReferences: [{ uid: 'someone-else', controller: true }] },
      spec: { template: template('v13') },
    });
    expect(await s.adapter.versions()).toMatchObject({ current: image('v42'), lastGood: image('v41') });
    expect(s.kube.http.requests.filter((r) => r.path === RSS)).toHaveLength(4);
    expect((await s.adapter.preflight(image('v13'))).ok).toBe(false);
  });

  it('never offers the version it rolled back from', async () => {
    await s.adapter.execute(req(image('v41')));
    expect(await s.adapter.versions()).toMatchObject({ current: image('v41'), lastGood: image('v40') });
  });

  it('can name versions by revision, following a reused ReplicaSet to its new number', async () => {
    const r = reset({ versionFrom: 'revision' });
    expect(await r.adapter.versions()).toMatchObject({ current: '3', lastGood: '2' });
    expect(await r.adapter.execute(req('2', 'prop-7', '3'))).toMatchObject({ ok: true, version: '2' });
    expect(await r.adapter.readBack('2')).toMatchObject({ confirmed: true, version: '4' });
    expect(await r.adapter.versions()).toMatchObject({ current: '4', lastGood: '1' });
  });

  it('can name versions by a pod-template label', async () => {
    const l = reset({ versionFrom: 'label' });
    expect(await l.adapter.versions()).toMatchObject({ current: 'v42', lastGood: 'v41' });
  });

  it('says so when the deployment does not exist', async () => {
    s.kube.objects.delete(DEP);
    const out = await s.adapter.execute(req(image('v41')));
    expect(out).toMatchObject({ ok: false, retryable: false });
    if (!out.ok) expect(out.message).toContain(`answered 404: NotFound: deployments "${NAME}" not found`);
    await expect(s.adapter.versions()).rejects.toThrow(/404/);
  });
});
