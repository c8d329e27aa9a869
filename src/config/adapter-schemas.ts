import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * Policy `adapter:` blocks of the rollback targets beyond the built-in two; joined into
 * `adapterSchema` in policy.ts. Secrets are named by environment variable, never written here.
 */

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable, e.g. MLFLOW_TOKEN');
// DNS-1123 names: what Kubernetes accepts for namespaces and most objects.
const k8sName = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes name: lowercase letters, digits, "-" and "."');

/** Where the API server is: the pod's service account when both are left out. */
const clusterFields = {
  /** Path of a kubeconfig file (token, client certificate or CA data; exec plugins are not run). */
  kubeconfig: z.string().min(1).optional(),
  /** Context in that kubeconfig; its current-context when left out. */
  context: z.string().min(1).optional(),
  /** Per-request timeout. */
  timeout: durationSchema.default(10_000),
  /** How long a rollback may take to become available before it is reported as not finished. */
  rolloutTimeout: durationSchema.default(5 * 60_000),
  pollInterval: durationSchema.default(5_000),
};

/** What a "version" is for a workload: an image, a pod-template label, or the controller's revision number. */
const workloadVersionFields = {
  versionFrom: z.enum(['image', 'label', 'revision']).default('image'),
  /** Container whose image is the version (versionFrom: image); the first container when left out. */
  container: z.string().min(1).optional(),
  /** Pod-template label holding the version (versionFrom: label). */
  versionLabel: z.string().min(1).default('app.kubernetes.io/version'),
};

export const mlflowAdapterSchema = z.object({
  kind: z.literal('mlflow'),
  trackingUri: z.url({ protocol: /^https?$/, error: 'an http(s) URL of the MLflow tracking server' }),
  model: z.string().min(1),
  alias: z.string().min(1).default('production'),
  auth: z.discriminatedUnion('type', [
    z.object({ type: z.literal('bearer'), tokenEnv: envName }).strict(),
    z.object({ type: z.literal('basic'), usernameEnv: envName, passwordEnv: envName }).strict(),
  ]).optional(),
  timeout: durationSchema.default(10_000),
  /** Offered as last good until Backstop's ledger has seen the alias point elsewhere. */
  fallbackLastGood: z.string().min(1).optional(),
  /** Model-version tag holding the input signature JSON; the run's logged signature is used otherwise. */
  signatureTag: z.string().min(1).default('signature'),
  /** Tag the version rolled back to with proposal, approver and reason. */
  breadcrumbs: z.boolean().default(true),
}).strict();

export const kubernetesAdapterSchema = z.object({
  kind: z.literal('kubernetes'),
  namespace: k8sName,
  deployment: k8sName,
  ...workloadVersionFields,
  ...clusterFields,
}).strict();

export const argoRolloutsAdapterSchema = z.object({
  kind: z.literal('argo-rollouts'),
  namespace: k8sName,
  rollout: k8sName,
  ...workloadVersionFields,
  ...clusterFields,
}).strict();

export const kserveAdapterSchema = z.object({
  kind: z.literal('kserve'),
  namespace: k8sName,
  inferenceService: k8sName,
  component: z.enum(['predictor', 'transformer', 'explainer']).default('predictor'),
  /**
   * revision: versions are Knative revision names and a rollback pins traffic to the previous
   * rolled-out revision. storageUri: versions are model versions written into `storageUriTemplate`.
   */
  versionFrom: z.enum(['revision', 'storageUri']).default('revision'),
  storageUriTemplate: z.string().includes('{version}', { message: 'must contain {version}' }).optional(),
  fallbackLastGood: z.string().min(1).optional(),
  ...clusterFields,
}).strict().superRefine((a, ctx) => {
  if (a.versionFrom === 'storageUri' && !a.storageUriTemplate) {
    ctx.addIssue({ code: 'custom', path: ['storageUriTemplate'], message: 'versionFrom: storageUri needs a storageUriTemplate such as "s3://models/fraud/{version}"' });
  }
});

export const gitopsAdapterSchema = z.object({
  kind: z.literal('gitops'),
  /** Clone URL (https or ssh) or a local path of the repository the GitOps controller syncs. */
  repo: z.string().min(1).refine((r) => !r.startsWith('-'), 'a clone URL or path'),
  // Passed to git as arguments: a leading "-" would read as an option.
  branch: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/, 'a branch name such as main').default('main'),
  /** YAML file inside the repository. */
  file: z.string().min(1).refine((f) => !f.startsWith('/') && !f.split('/').includes('..'), 'a path inside the repository'),
  /** Dotted path of the value in that file, e.g. `image.tag`. */
  path: z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a dotted path such as image.tag'),
  /** Backstop's working clone; a folder under the system temp dir when left out. */
  workdir: z.string().min(1).optional(),
  author: z.object({ name: z.string().min(1), email: z.string().min(3) }).strict().default({ name: 'Backstop', email: 'backstop@localhost' }),
  /** HTTPS token auth (sent as a header, never in the URL); ssh uses the process's own keys. */
  auth: z.object({ type: z.literal('token'), tokenEnv: envName, username: z.string().min(1).default('x-access-token') }).strict().optional(),
  timeout: durationSchema.default(60_000),
  /** How many commits of the file are searched for earlier values. */
  historyDepth: z.number().int().min(2).max(10_000).default(200),
}).strict();
