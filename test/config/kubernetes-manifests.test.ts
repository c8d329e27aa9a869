/**
 * The two-replica overlay (manifests/kubernetes-replicas) on the single-replica manifests: the
 * files as written, and, where kubectl is installed, what `kubectl kustomize` builds from them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseEnv } from '../../src/config/env.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const BASE = join(process.cwd(), 'manifests', 'kubernetes');
const DIR = join(process.cwd(), 'manifests', 'kubernetes-replicas');

const parse = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((d) => d && typeof d === 'object');
const file = (dir: string, name: string): Doc => {
  const [doc] = parse(readFileSync(join(dir, name), 'utf8'));
  if (!doc) throw new Error(`${name} holds no document`);
  return doc;
};

const kustomization = file(DIR, 'kustomization.yaml');
const patch = file(DIR, 'deployment-patch.yaml');
const pdb = file(DIR, 'pdb.yaml');
const secret = file(DIR, 'secret.example.yaml');
const job = file(DIR, 'migrate-store-job.yaml');
const base = file(BASE, 'deployment.yaml');
const basePvc = file(BASE, 'pvc.yaml');

const container = (d: Doc, name?: string): Doc => (d.spec.template.spec.containers as Doc[]).find((c) => name === undefined || c.name === name)!;
const envVar = (c: Doc, name: string): Doc | undefined => (c.env as Doc[] | undefined)?.find((e) => e.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** What `kubectl kustomize` builds from the overlay. */
const built = (): Doc[] => parse(execFileSync('kubectl', ['kustomize', DIR], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }));
const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

describe('Kubernetes manifests for two replicas', () => {
  it('is an overlay on the single-replica manifests; the example Secret and the one-off Job stay out of it', () => {
    expect(kustomization.resources).toEqual(['../kubernetes', 'pdb.yaml']);
    const patches = kustomization.patches as Doc[];
    expect(patches.map((p) => p.path).filter(Boolean)).toEqual(['deployment-patch.yaml']);
    const deletes = patches.filter((p) => p.patch).map((p) => parse(p.patch as string)[0]!);
    expect(deletes).toEqual([{ $patch: 'delete', apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: basePvc.metadata.name, namespace: 'backstop' } }]);
    const referenced = new Set(['kustomization.yaml', ...(kustomization.resources as string[]), ...patches.map((p) => p.path as string).filter(Boolean)]);
    const byHand = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !referenced.has(f)).sort();
    expect(byHand).toEqual(['migrate-store-job.yaml', 'secret.example.yaml']);
  });

  it('runs two replicas, rolling one at a time, spread across nodes', () => {
    expect(patch).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: base.metadata.name, namespace: base.metadata.namespace } });
    expect(patch.spec.replicas).toBe(2);
    expect(patch.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const [term] = patch.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution as Doc[];
    expect(term?.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(matches(term?.podAffinityTerm.labelSelector.matchLabels, base.spec.template.metadata.labels)).toBe(true);
  });

  it('keeps one replica through voluntary disruptions: the budget selects the Deployment\'s pods', () => {
    expect(pdb).toMatchObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { namespace: 'backstop' }, spec: { minAvailable: 1 } });
    expect(pdb.spec.selector.matchLabels).toEqual(base.spec.selector.matchLabels);
    expect(matches(pdb.spec.selector.matchLabels, base.spec.template.metadata.labels)).toBe(true);
    // The one-off Job is not one of them.
    expect(matches(pdb.spec.selector.matchLabels, job.spec.template.metadata.labels)).toBe(false);
  });

  it('reads the database URL and the audit key from the Secret (secretKeyRef), in the replicas and the Job alike', () => {
    for (const c of [container(patch, 'backstop'), container(job)]) {
      for (const name of ['BACKSTOP_DATABASE_URL', 'BACKSTOP_AUDIT_KEY']) {
        const v = envVar(c, name);
        expect(v?.value, name).toBeUndefined();
        expect(v?.valueFrom, name).toEqual({ secretKeyRef: { name: secret.metadata.name, key: name } });
        expect(secret.stringData[name], name).toMatch(/REPLACE-ME/);
      }
    }
    expect(secret.metadata.namespace).toBe('backstop');
    // The placeholder key could seal a chain with a known secret: the bot must refuse it.
    expect(parseEnv({ BACKSTOP_AUDIT_KEY: secret.stringData.BACKSTOP_AUDIT_KEY as string }).ok).toBe(false);
  });

  it('probes /readyz for readiness and /healthz for liveness', () => {
    const c = container(patch, 'backstop');
    const port = (container(base).ports as Doc[])[0]!.name;
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port });
  });

  it('keeps the SQLite file and the audit head on each pod\'s own volume', () => {
    const c = container(patch, 'backstop');
    const head = envVar(c, 'BACKSTOP_AUDIT_HEAD')?.value as string;
    const mount = (container(base).volumeMounts as Doc[]).find((m) => m.name === 'data');
    expect(mount?.mountPath).toBe('/data');
    expect(head.startsWith(`${mount?.mountPath as string}/`)).toBe(true);
    expect((envVar(container(base), 'BACKSTOP_DB')?.value as string).startsWith('/data/')).toBe(true);
    const volume = (patch.spec.template.spec.volumes as Doc[]).find((v) => v.name === 'data');
    expect(volume).toMatchObject({ persistentVolumeClaim: null, emptyDir: {} });
  });

  it('copies the single replica\'s volume with migrate-store, once, without retrying a refusal', () => {
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { namespace: 'backstop' }, spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never' } } } });
    const c = container(job);
    expect(c.command).toEqual(['node', 'bin/backstop.js', 'migrate-store', '--from', envVar(container(base), 'BACKSTOP_DB')?.value]);
    expect(c.image).toBe(container(base).image);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(job.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(job.spec.template.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: basePvc.metadata.name } }]);
  });

  it.skipIf(!hasKubectl)('builds with kubectl kustomize: one two-replica Deployment without the old volume, its budget, no placeholder database Secret', () => {
    const docs = built();
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    expect(deployments).toHaveLength(1);
    const [dep] = deployments;
    expect(dep!.spec.replicas).toBe(2);
    expect(dep!.spec.strategy.type).toBe('RollingUpdate');
    const c = container(dep!, 'backstop');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(envVar(c, 'BACKSTOP_DATABASE_URL')?.valueFrom.secretKeyRef.name).toBe('backstop-database');
    expect(envVar(c, 'BACKSTOP_DB')?.value).toBe('/data/backstop.db');
    expect((dep!.spec.template.spec.volumes as Doc[]).find((v) => v.name === 'data')).toEqual({ name: 'data', emptyDir: { sizeLimit: '1Gi' } });
    expect(docs.filter((d) => d.kind === 'PersistentVolumeClaim')).toEqual([]);
    const [budget] = docs.filter((d) => d.kind === 'PodDisruptionBudget');
    expect(matches(budget!.spec.selector.matchLabels, dep!.spec.template.metadata.labels)).toBe(true);
    expect(docs.filter((d) => d.kind === 'Secret').map((d) => d.metadata.name)).not.toContain('backstop-database');
    // The shared pieces come from the single-replica manifests.
    for (const kind of ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Service']) expect(docs.some((d) => d.kind === kind), kind).toBe(true);
  });
});
