import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/backstop.js';
import { adapterSchema, parsePolicy } from '../../src/config/policy.js';

/**
 * Every shipped policy example passes `backstop config check` (run in-process: the same code
 * `npx backstop config check FILE` runs, without depending on a built dist/), and the
 * Kubernetes manifests stay least-privilege and non-root.
 */

const MANIFESTS = join(process.cwd(), 'manifests');

function check(file: string): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  // The file alone: the examples name secrets that this test's environment does not hold.
  const code = run(['config', 'check', file, '--file-only'], {}, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

const policies = readdirSync(MANIFESTS).filter((f) => /^policy.*\.ya?ml$/.test(f)).sort();

describe('shipped policy files', () => {
  it.each(policies)('%s passes backstop config check', (name) => {
    const r = check(join(MANIFESTS, name));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toContain(': ok (');
  });

  it.each(['mlflow', 'kubernetes', 'argo-rollouts', 'kserve', 'gitops'])('has a commented example for the %s adapter that uses it', (kind) => {
    const file = join(MANIFESTS, `policy.${kind}.example.yaml`);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n').filter((l) => l.trim().startsWith('#')).length).toBeGreaterThan(3);
    const parsed = parsePolicy(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const kinds = Object.values(parsed.policy.services).flatMap((s) => (Array.isArray(s.adapter) ? s.adapter : [s.adapter]).map((a) => a.kind));
    expect(kinds).toContain(kind);
  });

  it('names adapter secrets by environment variable, never by value', () => {
    for (const name of policies) {
      expect(readFileSync(join(MANIFESTS, name), 'utf8')).not.toMatch(/^\s*(token|password|secret):/m);
    }
  });

  it('reports a broken adapter block with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-examples-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync(join(MANIFESTS, 'policy.kserve.example.yaml'), 'utf8').replace(/^\s*storageUriTemplate: .*\n/m, ''));
    const r = check(file);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain('services.churn-model.adapter');
    expect(r.err.join('\n')).toContain('storageUriTemplate');
  });

  it('rejects adapter fields that are not part of a kind, so typos do not pass silently', () => {
    expect(adapterSchema.safeParse({ kind: 'kubernetes', namespace: 'ml', deployment: 'x', continer: 'typo' }).success).toBe(false);
    expect(adapterSchema.safeParse({ kind: 'gitops', repo: 'r', file: '../etc/passwd', path: 'image.tag' }).success).toBe(false);
    expect(adapterSchema.safeParse({ kind: 'mlflow', trackingUri: 'https://m', model: 'm', auth: { type: 'bearer', tokenEnv: 'lowercase' } }).success).toBe(false);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

describe('Kubernetes manifests for Backstop itself', () => {
  const dir = join(MANIFESTS, 'kubernetes');
  const docs: Doc[] = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Doc))
    .filter((d) => d && typeof d === 'object');
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);

  it('lists every manifest in the kustomization', () => {
    const kustomization = byKind('Kustomization')[0];
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    expect([...(kustomization?.resources as string[])].sort()).toEqual(files);
  });

  it('runs Backstop as a single non-root pod with a read-only root filesystem', () => {
    const [dep] = byKind('Deployment');
    expect(dep?.spec.replicas).toBe(1);
    expect(dep?.spec.strategy.type).toBe('Recreate');
    const pod = dep?.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod.serviceAccountName).toBe('backstop');
    for (const c of pod.containers as Doc[]) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
  });

  it('grants only the verbs the adapters use, with no wildcards', () => {
    const allowed: Record<string, string[]> = {
      'apps/deployments': ['get', 'patch'],
      'apps/replicasets': ['list'],
      'argoproj.io/rollouts': ['get', 'patch'],
      'argoproj.io/rollouts/status': ['patch'],
      'serving.kserve.io/inferenceservices': ['get', 'patch'],
    };
    const roles = [...byKind('Role'), ...byKind('ClusterRole')];
    expect(byKind('ClusterRole')).toHaveLength(0);
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      for (const rule of role.rules as Doc[]) {
        for (const group of rule.apiGroups as string[]) {
          for (const resource of rule.resources as string[]) {
            const verbs = allowed[`${group}/${resource}`];
            expect(verbs, `${group}/${resource}`).toBeDefined();
            for (const v of rule.verbs as string[]) expect(verbs).toContain(v);
          }
        }
      }
    }
    const binding = byKind('RoleBinding')[0];
    expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'backstop', namespace: 'backstop' }]);
  });

  it('ships a policy in its ConfigMap that passes config check', () => {
    const [cm] = byKind('ConfigMap');
    const file = join(mkdtempSync(join(tmpdir(), 'backstop-cm-')), 'backstop.yaml');
    writeFileSync(file, cm?.data['backstop.yaml'] as string);
    const r = check(file);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('keeps only placeholders in the Secret', () => {
    const [secret] = byKind('Secret');
    for (const v of Object.values(secret?.stringData as Record<string, string>)) expect(v).toMatch(/REPLACE-ME/);
  });
});
