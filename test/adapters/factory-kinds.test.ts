import { describe, expect, it } from 'vitest';
import { ArgoRolloutsAdapter } from '../../src/adapters/argo-rollouts/adapter.js';
import { createAdapter } from '../../src/adapters/factory.js';
import { GitopsAdapter } from '../../src/adapters/gitops/adapter.js';
import { KserveAdapter } from '../../src/adapters/kserve/adapter.js';
import { KubernetesAdapter } from '../../src/adapters/kubernetes/adapter.js';
import { MlflowAdapter } from '../../src/adapters/mlflow/adapter.js';
import { adapterSchema } from '../../src/config/policy.js';
import { openDb } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';

const deps = (env: Record<string, string | undefined> = {}) => ({ db: openDb(':memory:'), clock: new FakeClock(), env });

describe('createAdapter for the cluster, registry and GitOps targets', () => {
  it.each([
    [{ kind: 'mlflow', trackingUri: 'https://mlflow.example', model: 'fraud-scorer' }, MlflowAdapter, 'mlflow model fraud-scorer alias production at https://mlflow.example'],
    [{ kind: 'kubernetes', namespace: 'ml', deployment: 'ranker' }, KubernetesAdapter, 'kubernetes deployment ml/ranker'],
    [{ kind: 'argo-rollouts', namespace: 'ml', rollout: 'ranker' }, ArgoRolloutsAdapter, 'argo-rollouts rollout ml/ranker'],
    [{ kind: 'kserve', namespace: 'ml', inferenceService: 'iris' }, KserveAdapter, 'kserve inferenceservice ml/iris predictor'],
    [{ kind: 'gitops', repo: 'git@github.com:org/deploy.git', file: 'apps/x/values.yaml', path: 'image.tag' }, GitopsAdapter, 'gitops image.tag in apps/x/values.yaml on main of github.com:org/deploy.git'],
  ])('builds %o', (block, type, described) => {
    const adapter = createAdapter('svc', adapterSchema.parse(block), deps());
    expect(adapter).toBeInstanceOf(type);
    expect(adapter.describe()).toBe(described);
  });

  it('reads the MLflow token from the named env var, and names a missing one', () => {
    const config = adapterSchema.parse({ kind: 'mlflow', trackingUri: 'https://mlflow.example', model: 'm', auth: { type: 'bearer', tokenEnv: 'MLFLOW_TOKEN' } });
    expect(() => createAdapter('fraud', config, deps({ MLFLOW_TOKEN: 't0ken' }))).not.toThrow();
    expect(() => createAdapter('fraud', config, deps())).toThrow(/service fraud: environment variable MLFLOW_TOKEN \(the MLflow token\) is not set/);
    const basic = adapterSchema.parse({ kind: 'mlflow', trackingUri: 'https://mlflow.example', model: 'm', auth: { type: 'basic', usernameEnv: 'MLF_USER', passwordEnv: 'MLF_PASS' } });
    expect(() => createAdapter('fraud', basic, deps({ MLF_USER: 'u' }))).toThrow(/MLF_PASS/);
  });

  it('names a missing git token', () => {
    const config = adapterSchema.parse({ kind: 'gitops', repo: 'https://git.example/deploy.git', file: 'v.yaml', path: 'image.tag', auth: { type: 'token', tokenEnv: 'DEPLOY_REPO_TOKEN' } });
    expect(() => createAdapter('fraud', config, deps())).toThrow(/DEPLOY_REPO_TOKEN \(the git token\) is not set/);
  });

  it('fills the documented defaults', () => {
    expect(adapterSchema.parse({ kind: 'kubernetes', namespace: 'ml', deployment: 'x' })).toMatchObject({ versionFrom: 'image', timeout: 10_000, rolloutTimeout: 300_000, pollInterval: 5_000 });
    expect(adapterSchema.parse({ kind: 'kserve', namespace: 'ml', inferenceService: 'x' })).toMatchObject({ component: 'predictor', versionFrom: 'revision' });
    expect(adapterSchema.parse({ kind: 'gitops', repo: 'r', file: 'f.yaml', path: 'a.b' })).toMatchObject({ branch: 'main', timeout: 60_000, historyDepth: 200, author: { name: 'Backstop' } });
    expect(adapterSchema.safeParse({ kind: 'kserve', namespace: 'ml', inferenceService: 'x', versionFrom: 'storageUri' }).success).toBe(false);
  });

  it('reports a cluster that cannot be reached as a failed preflight, not a crash', async () => {
    const adapter = createAdapter('svc', adapterSchema.parse({ kind: 'kubernetes', namespace: 'ml', deployment: 'x' }), deps());
    const pre = await adapter.preflight('v1');
    expect(pre.ok).toBe(false);
    expect(pre.checks[0]?.detail).toContain('KUBERNETES_SERVICE_HOST is not set');
  });
});
