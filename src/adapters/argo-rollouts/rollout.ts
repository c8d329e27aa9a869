import { z } from 'zod';
import { labelSelector, objectMeta, podTemplate, ROLLOUT_FLAVOUR, type Revision } from '../kubernetes/workload.js';
import { clip, type Poll } from '../support.js';

/** The parts of an Argo Rollout a rollback reads, and what its status says about progress. */

export const rolloutSchema = z.object({
  metadata: objectMeta,
  spec: z.object({
    replicas: z.number().optional(),
    selector: labelSelector.optional(),
    template: podTemplate.optional(),
    workloadRef: z.object({ kind: z.string().optional(), name: z.string().optional() }).loose().optional(),
    strategy: z.object({
      canary: z.object({ steps: z.array(z.unknown()).optional() }).loose().optional(),
      blueGreen: z.unknown().optional(),
    }).loose().optional(),
  }).loose(),
  status: z.object({
    abort: z.boolean().optional(),
    phase: z.string().optional(),
    message: z.string().optional(),
    stableRS: z.string().optional(),
    currentPodHash: z.string().optional(),
    // A string in Argo Rollouts, unlike a Deployment's number.
    observedGeneration: z.union([z.string(), z.number()]).optional(),
    replicas: z.number().optional(),
    updatedReplicas: z.number().optional(),
    availableReplicas: z.number().optional(),
  }).loose().optional(),
}).loose();
export type Rollout = z.infer<typeof rolloutSchema>;

export function hashOf(r: Revision): string | undefined {
  return r.rs.metadata.labels?.[ROLLOUT_FLAVOUR.hashLabel];
}

/** A canary (or blue-green preview) is under way: the desired pods are not yet the stable ones. */
export function inProgress(ro: Rollout): boolean {
  const s = ro.status ?? {};
  return Boolean(s.stableRS && s.currentPodHash && s.stableRS !== s.currentPodHash && !s.abort);
}

/** Done when the controller saw the latest spec and promoted the wanted pods to stable. */
export function rolloutProgress(ro: Rollout, wantHash: string | undefined): Poll {
  const s = ro.status ?? {};
  if (String(s.observedGeneration ?? '') !== String(ro.metadata.generation ?? '')) return { state: 'waiting', detail: 'waiting for the controller to observe the new template' };
  if (s.phase === 'Degraded') return { state: 'failed', retryable: false, detail: `rollout is Degraded: ${clip(s.message ?? '')}` };
  const stableOk = wantHash === undefined || s.stableRS === wantHash;
  if (s.phase === 'Healthy' && stableOk) return { state: 'done', detail: `Healthy, stable ReplicaSet ${s.stableRS ?? '?'}` };
  const counts = `${s.updatedReplicas ?? 0} updated, ${s.availableReplicas ?? 0} available of ${ro.spec.replicas ?? 1}`;
  return { state: 'waiting', detail: `${s.phase ?? 'Progressing'}${s.message ? ` (${clip(s.message, 120)})` : ''}: ${counts}` };
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
