import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inClusterCredentials, KubeClient, kubeconfigCredentials } from '../../src/adapters/kubernetes/client.js';

describe('KubeClient', () => {
  it('keeps the path prefix of a proxied API server (Rancher: /k8s/clusters/<id>) for every request', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'List', items: [], metadata: {} }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'backstop-kubeconfig-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: rancher',
        'clusters:',
        `- name: rancher`,
        `  cluster: {server: "http://127.0.0.1:${port}/k8s/clusters/c-abc"}`,
        'users:',
        '- name: backstop',
        '  user: {token: "kubeconfig-u-abc"}',
        'contexts:',
        '- name: rancher',
        '  context: {cluster: rancher, user: backstop}',
      ].join('\n'),
    );
    try {
      const client = new KubeClient(kubeconfigCredentials(file), 1_000);
      await client.get('/apis/apps/v1/namespaces/ml/deployments/ranker');
      await client.patch('/apis/apps/v1/namespaces/ml/deployments/ranker', 'merge', {}, { dryRun: 'All' });
      await client.list('/apis/apps/v1/namespaces/ml/replicasets', { labelSelector: 'app=ranker' });
      expect(seen).toEqual([
        'GET /k8s/clusters/c-abc/apis/apps/v1/namespaces/ml/deployments/ranker',
        'PATCH /k8s/clusters/c-abc/apis/apps/v1/namespaces/ml/deployments/ranker?dryRun=All',
        'GET /k8s/clusters/c-abc/apis/apps/v1/namespaces/ml/replicasets?labelSelector=app%3Dranker&limit=500',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('cluster credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-kube-'));

  it('reads the service account token at every request, so a rotated token is used', () => {
    writeFileSync(join(dir, 'token'), 'first\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    const creds = inClusterCredentials({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    expect(creds()).toMatchObject({ server: 'https://10.0.0.1:443', token: 'first' });
    writeFileSync(join(dir, 'token'), 'second\n');
    expect(creds().token).toBe('second');
  });

  it('says what is missing outside a cluster', () => {
    expect(() => inClusterCredentials({}, dir)()).toThrow(/KUBERNETES_SERVICE_HOST is not set/);
  });

  it('reads token and CA data from the chosen kubeconfig context', () => {
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: staging',
        'clusters:',
        '- name: prod',
        '  cluster: {server: "https://prod.example:6443", certificate-authority-data: "Q0E="}',
        '- name: staging',
        '  cluster: {server: "https://staging.example:6443"}',
        'users:',
        '- name: backstop',
        '  user: {token: "abc"}',
        '- name: sso',
        '  user: {exec: {command: aws}}',
        'contexts:',
        '- name: prod',
        '  context: {cluster: prod, user: backstop}',
        '- name: staging',
        '  context: {cluster: staging, user: sso}',
      ].join('\n'),
    );
    const creds = kubeconfigCredentials(file, 'prod')();
    expect(creds).toMatchObject({ server: 'https://prod.example:6443', token: 'abc' });
    expect(creds.ca?.toString()).toBe('CA');
    expect(() => kubeconfigCredentials(file)()).toThrow(/exec or auth-provider plugin/);
  });

  it('turns unreadable credentials into a failed request, not a crash', async () => {
    const client = new KubeClient(() => {
      throw new Error('no kubeconfig');
    }, 100);
    expect(await client.get('/api')).toEqual({ kind: 'failed', message: 'cannot load cluster credentials: no kubeconfig' });
  });
});
