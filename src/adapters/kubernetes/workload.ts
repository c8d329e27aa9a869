import { z } from 'zod';
import { digest, type Basis } from '../basis.js';

/**
 * Pure helpers for workloads whose history lives in ReplicaSets (Deployments, Argo Rollouts):
 * which ReplicaSets belong to the workload, their revisions, what "version" each one is, and
 * which one a rollback should restore. No I/O: the adapters fetch, these decide.
 */

export interface VersionSelector {
  versionFrom: 'image' | 'label' | 'revision';
  container?: string;
  versionLabel: string;
}

/** Per controller: the annotations and labels that differ between Deployments and Rollouts. */
export interface WorkloadFlavour {
  revisionAnnotation: string;
  revisionHistoryAnnotation: string;
  hashLabel: string;
}

export const DEPLOYMENT_FLAVOUR: WorkloadFlavour = {
  revisionAnnotation: 'deployment.kubernetes.io/revision',
  revisionHistoryAnnotation: 'deployment.kubernetes.io/revision-history',
  hashLabel: 'pod-template-hash',
};

export const ROLLOUT_FLAVOUR: WorkloadFlavour = {
  revisionAnnotation: 'rollout.argoproj.io/revision',
  revisionHistoryAnnotation: 'rollout.argoproj.io/revision-history',
  hashLabel: 'rollouts-pod-template-hash',
};

const stringMap = z.record(z.string(), z.string()).optional();

export const objectMeta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().optional(),
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: z.array(z.object({ uid: z.string(), kind: z.string().optional(), name: z.string().optional(), controller: z.boolean().optional() }).loose()).optional(),
}).loose();

export const podTemplate = z.object({
  metadata: z.object({ labels: stringMap, annotations: stringMap }).loose().optional(),
  spec: z.object({ containers: z.array(z.object({ name: z.string(), image: z.string().optional() }).loose()).default([]) }).loose(),
}).loose();
export type PodTemplate = z.infer<typeof podTemplate>;

export const labelSelector = z.object({
  matchLabels: stringMap,
  matchExpressions: z.array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }).loose()).optional(),
}).loose();

export const replicaSetSchema = z.object({
  metadata: objectMeta,
  spec: z.object({ replicas: z.number().optional(), template: podTemplate }).loose(),
  status: z.object({ replicas: z.number().optional(), availableReplicas: z.number().optional() }).loose().optional(),
}).loose();
export type ReplicaSet = z.infer<typeof replicaSetSchema>;

/** `app=x,tier in (a,b)`: the LIST `labelSelector` query for a workload's selector. */
export function selectorQuery(sel: z.infer<typeof labelSelector>): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export function ownedBy(rs: ReplicaSet, ownerUid: string | undefined): boolean {
  return ownerUid !== undefined && (rs.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === ownerUid);
}

export function revisionOf(annotations: Record<string, string> | undefined, key: string): number | null {
  const v = annotations?.[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A copy of the template without the controller's hash label, as kubectl restores it. */
export function withoutHash(template: PodTemplate, hashLabel: string): PodTemplate {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[hashLabel];
  }
  return copy;
}

export function sameTemplate(a: PodTemplate, b: PodTemplate, hashLabel: string): boolean {
  return canonical(withoutHash(a, hashLabel)) === canonical(withoutHash(b, hashLabel));
}

/** The version a template stands for, or null when it carries none (no such container or label). */
export function templateVersion(template: PodTemplate, sel: VersionSelector): string | null {
  if (sel.versionFrom === 'label') return template.metadata?.labels?.[sel.versionLabel] ?? null;
  if (sel.versionFrom === 'image') {
    const containers = template.spec.containers;
    const c = sel.container === undefined ? containers[0] : containers.find((x) => x.name === sel.container);
    return c?.image ?? null;
  }
  return null;
}

export interface Revision {
  rs: ReplicaSet;
  revision: number;
  /** Earlier revision numbers this ReplicaSet had before a rollback reused it. */
  history: number[];
  version: string | null;
  /** This ReplicaSet's template is the workload's desired template now. */
  current: boolean;
}

/** The workload's ReplicaSets with a revision, newest first. */
export function revisions(
  owner: { uid: string | undefined; template: PodTemplate },
  replicaSets: ReplicaSet[],
  flavour: WorkloadFlavour,
  sel: VersionSelector,
): Revision[] {
  const out: Revision[] = [];
  for (const rs of replicaSets) {
    if (!ownedBy(rs, owner.uid)) continue;
    const revision = revisionOf(rs.metadata.annotations, flavour.revisionAnnotation);
    if (revision === null) continue;
    const history = (rs.metadata.annotations?.[flavour.revisionHistoryAnnotation] ?? '').split(',').filter((s) => /^\d+$/.test(s)).map(Number);
    const version = sel.versionFrom === 'revision' ? String(revision) : templateVersion(rs.spec.template, sel);
    out.push({ rs, revision, history, version, current: sameTemplate(rs.spec.template, owner.template, flavour.hashLabel) });
  }
  return out.sort((a, b) => b.revision - a.revision);
}

/** What the workload is at now: its desired template's version (revision mode: the current ReplicaSet's revision). */
export function currentVersion(template: PodTemplate, revs: Revision[], sel: VersionSelector): string | null {
  if (sel.versionFrom === 'revision') {
    const cur = revs.find((r) => r.current);
    return cur ? String(cur.revision) : null;
  }
  return templateVersion(template, sel);
}

/** Whether a revision stands for `version`; in revision mode a reused ReplicaSet keeps its old numbers. */
export function isVersion(r: Revision, version: string, sel: VersionSelector): boolean {
  if (sel.versionFrom === 'revision') return String(r.revision) === version || r.history.map(String).includes(version);
  return r.version === version;
}

/** The newest ReplicaSet standing for `version`. */
export function findRevision(revs: Revision[], version: string, sel: VersionSelector): Revision | undefined {
  return revs.find((r) => isVersion(r, version, sel));
}

/**
 * The version to offer for a rollback: the newest revision whose version differs from the
 * current one and that no earlier rollback moved away from.
 */
export function previousVersion(revs: Revision[], current: string | null, fled: ReadonlySet<string>): string | null {
  for (const r of revs) {
    if (r.current || r.version === null || r.version === current || fled.has(r.version)) continue;
    return r.version;
  }
  return null;
}

/**
 * What a rollback plan for a ReplicaSet-backed workload was computed against: the revision it
 * restores, the revision serving, and a digest of the desired pod template. All three stay put
 * while controllers write status; any new template (a deploy, an edit) changes the digest.
 */
export function workloadBasis(template: PodTemplate, revs: Revision[], target: Revision | undefined, flavour: WorkloadFlavour): Basis {
  return {
    restore: target ? String(target.revision) : '',
    revision: String(revs.find((r) => r.current)?.revision ?? ''),
    template: digest(withoutHash(template, flavour.hashLabel)),
  };
}

/** Versions a revision list knows, newest first, for messages naming what could have been meant. */
export function knownVersions(revs: Revision[]): string {
  const seen = [...new Set(revs.map((r) => r.version).filter((v): v is string => v !== null))];
  return seen.length ? seen.slice(0, 8).join(', ') : '(none)';
}
