import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdapterConfig } from '../config/policy.js';
import type { Clock } from '../ports/clock.js';
import type { RollbackAdapter } from '../ports/rollback-adapter.js';
import type { Db } from '../store/db.js';
import { ArgoRolloutsAdapter } from './argo-rollouts/adapter.js';
import { GitopsAdapter } from './gitops/adapter.js';
import { HttpWebhookAdapter } from './http-webhook/adapter.js';
import { KserveAdapter } from './kserve/adapter.js';
import { KubernetesAdapter } from './kubernetes/adapter.js';
import { credentialsFor, KubeClient } from './kubernetes/client.js';
import { TargetLedger } from './ledger.js';
import { LocalRegistryAdapter } from './local-registry/adapter.js';
import { LocalRegistry } from './local-registry/registry.js';
import { MlflowAdapter, type MlflowAuth } from './mlflow/adapter.js';

export interface AdapterDeps {
  db: Db;
  clock: Clock;
  env: Record<string, string | undefined>;
}

/** Builds the rollback adapter for one service from its policy `adapter:` block. */
export function createAdapter(serviceName: string, config: AdapterConfig, deps: AdapterDeps): RollbackAdapter {
  switch (config.kind) {
    case 'local-registry':
      return new LocalRegistryAdapter(new LocalRegistry(deps.db, deps.clock), { model: config.model, alias: config.alias });
    case 'http-webhook': {
      const secret = deps.env[config.secretEnv];
      if (secret === undefined || secret === '') {
        throw new Error(`service ${serviceName}: environment variable ${config.secretEnv} (the http-webhook HMAC secret) is not set`);
      }
      return new HttpWebhookAdapter(
        { service: serviceName, url: config.url, secret, timeoutMs: config.timeout, versionsUrl: config.versionsUrl },
        deps.clock,
      );
    }
    case 'mlflow':
      return new MlflowAdapter(
        {
          trackingUri: config.trackingUri,
          model: config.model,
          alias: config.alias,
          auth: mlflowAuth(serviceName, config.auth, deps.env),
          timeoutMs: config.timeout,
          fallbackLastGood: config.fallbackLastGood,
          signatureTag: config.signatureTag,
          breadcrumbs: config.breadcrumbs,
        },
        new TargetLedger(deps.db, deps.clock),
        deps.clock,
      );
    case 'kubernetes':
      return new KubernetesAdapter(
        new KubeClient(credentialsFor(config, deps.env), config.timeout),
        {
          targetId: `kubernetes:${clusterName(config)}:${config.namespace}/${config.deployment}`,
          namespace: config.namespace,
          deployment: config.deployment,
          ...workloadOptions(config),
        },
        new TargetLedger(deps.db, deps.clock),
        deps.clock,
      );
    case 'argo-rollouts':
      return new ArgoRolloutsAdapter(
        new KubeClient(credentialsFor(config, deps.env), config.timeout),
        {
          targetId: `argo-rollouts:${clusterName(config)}:${config.namespace}/${config.rollout}`,
          namespace: config.namespace,
          rollout: config.rollout,
          ...workloadOptions(config),
        },
        new TargetLedger(deps.db, deps.clock),
        deps.clock,
      );
    case 'kserve':
      return new KserveAdapter(
        new KubeClient(credentialsFor(config, deps.env), config.timeout),
        {
          targetId: `kserve:${clusterName(config)}:${config.namespace}/${config.inferenceService}/${config.component}`,
          namespace: config.namespace,
          inferenceService: config.inferenceService,
          component: config.component,
          versionFrom: config.versionFrom,
          storageUriTemplate: config.storageUriTemplate,
          fallbackLastGood: config.fallbackLastGood,
          rolloutTimeoutMs: config.rolloutTimeout,
          pollIntervalMs: config.pollInterval,
        },
        new TargetLedger(deps.db, deps.clock),
        deps.clock,
      );
    case 'gitops':
      return new GitopsAdapter({
        service: serviceName,
        repo: config.repo,
        branch: config.branch,
        file: config.file,
        path: config.path,
        workdir: config.workdir ?? join(tmpdir(), 'backstop-gitops', serviceName),
        author: config.author,
        token: config.auth ? { username: config.auth.username, token: required(serviceName, config.auth.tokenEnv, 'the git token', deps.env) } : undefined,
        timeoutMs: config.timeout,
        historyDepth: config.historyDepth,
        env: deps.env,
      });
    default: {
      const unknown: never = config;
      throw new Error(`service ${serviceName}: unsupported adapter ${JSON.stringify(unknown)}`);
    }
  }
}

function required(service: string, name: string, what: string, env: Record<string, string | undefined>): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`service ${service}: environment variable ${name} (${what}) is not set`);
  return value;
}

function mlflowAuth(service: string, auth: Extract<AdapterConfig, { kind: 'mlflow' }>['auth'], env: Record<string, string | undefined>): MlflowAuth {
  if (!auth) return { type: 'none' };
  if (auth.type === 'bearer') return { type: 'bearer', token: required(service, auth.tokenEnv, 'the MLflow token', env) };
  return { type: 'basic', username: required(service, auth.usernameEnv, 'the MLflow user', env), password: required(service, auth.passwordEnv, 'the MLflow password', env) };
}

/** Part of the ledger's target id, so two clusters' `ml/scorer` never share history. */
function clusterName(config: { kubeconfig?: string; context?: string }): string {
  return config.context ?? (config.kubeconfig ? `kubeconfig=${config.kubeconfig}` : 'in-cluster');
}

/** What a Deployment and an Argo Rollout are configured with alike: how versions are read and waited for. */
function workloadOptions(config: { versionFrom: 'image' | 'label' | 'revision'; container?: string; versionLabel: string; rolloutTimeout: number; pollInterval: number }) {
  return { versionFrom: config.versionFrom, container: config.container, versionLabel: config.versionLabel, rolloutTimeoutMs: config.rolloutTimeout, pollIntervalMs: config.pollInterval };
}
