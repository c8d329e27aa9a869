import { createHash } from 'node:crypto';
import { HttpFake, type FakeReply, type FakeRequest } from './http-fake.js';

/**
 * A Kubernetes API server stand-in: objects by path, LIST with equality label selectors,
 * JSON patch (test/add/replace/remove) and merge patch (a resourceVersion in it is a
 * precondition: 409 Conflict when stale), `dryRun=All`, `/status`
 * subresources, resourceVersion and generation bookkeeping. Controllers are plain functions
 * the tests register; they run after every persisted write, as a reconcile would.
 */

export const KUBE_SERVER = 'https://kube.test:6443';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

function status(code: number, reason: string, message: string): FakeReply {
  return [code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }];
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function pointer(path: string): string[] {
  return path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902, the operations adapters send. Throws with the API server's wording on failure. */
export function applyJsonPatch(doc: Obj, ops: Obj[]): Obj {
  const out = clone(doc);
  for (const op of ops) {
    const tokens = pointer(String(op.path));
    const last = tokens.pop();
    let parent: Obj = out;
    for (const t of tokens) {
      if (parent[t] === undefined) throw new Error(`jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"`);
      parent = parent[t];
    }
    if (last === undefined) throw new Error('empty path');
    if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`Testing value ${op.path} failed`);
    } else if (op.op === 'replace') {
      if (!(last in parent)) throw new Error(`jsonpatch replace operation does not apply: doc is missing key: ${op.path}`);
      parent[last] = clone(op.value);
    } else if (op.op === 'add') {
      parent[last] = clone(op.value);
    } else if (op.op === 'remove') {
      delete parent[last];
    } else {
      throw new Error(`unsupported op ${String(op.op)}`);
    }
  }
  return out;
}

/** RFC 7386. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Obj = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? clone(doc as Obj) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

export function templateHash(template: unknown): string {
  const t = clone(template) as Obj;
  delete t.metadata?.labels?.['pod-template-hash'];
  delete t.metadata?.labels?.['rollouts-pod-template-hash'];
  return createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 10);
}

export class FakeKube {
  readonly objects = new Map<string, Obj>();
  readonly http: HttpFake;
  /** Persisted writes per object path (dry runs and refused patches do not count). */
  readonly writes = new Map<string, number>();
  readonly controllers: Array<(path: string) => void> = [];
  /** Runs before each GET of an object: lets a test move a rollout along as it is polled. */
  beforeGet?: (path: string) => void;
  /** Runs before any request is answered (e.g. someone else editing the object mid-rollback). */
  beforeRequest?: (req: FakeRequest) => void;
  /** Answer for the next PATCH instead of applying it (an admission webhook refusing, say). */
  rejectPatch: FakeReply | null = null;
  /** Items per LIST page; pages are linked with `continue` tokens as the real server does. */
  pageSize = Number.POSITIVE_INFINITY;
  private rv = 1000;
  private clock = Date.parse('2025-03-01T10:00:00Z');

  constructor(readonly server = KUBE_SERVER) {
    this.http = new HttpFake(server, (req) => this.handle(req));
  }

  install(): this {
    this.http.install();
    return this;
  }

  put(path: string, obj: Obj): Obj {
    const stored = clone(obj);
    stored.metadata ??= {};
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.generation ??= 1;
    stored.metadata.creationTimestamp ??= new Date((this.clock += 60_000)).toISOString();
    this.objects.set(path, stored);
    return stored;
  }

  get(path: string): Obj {
    const o = this.objects.get(path);
    if (!o) throw new Error(`fake has no object at ${path}`);
    return o;
  }

  /** Objects directly under a collection path whose labels match every `k=v` of the selector. */
  list(collection: string, selector = ''): Obj[] {
    const want = selector.split(',').filter(Boolean).map((p) => p.split('='));
    return [...this.objects.entries()]
      .filter(([p]) => p.startsWith(`${collection}/`) && !p.slice(collection.length + 1).includes('/'))
      .map(([, o]) => o)
      .filter((o) => want.every(([k, v]) => k !== undefined && o.metadata?.labels?.[k] === v));
  }

  /**
   * Someone else writes the object (CI, a controller's status update, kubectl scale): stored
   * with a new resourceVersion (and generation when the spec changed), controllers run, and
   * it does not count in `writes`, which are Backstop's.
   */
  mutate(path: string, change: (o: Obj) => void): Obj {
    const current = this.get(path);
    const next = clone(current);
    change(next);
    if (JSON.stringify(next.spec) !== JSON.stringify(current.spec)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(path, next);
    for (const c of this.controllers) c(path);
    return this.get(path);
  }

  writesTo(path: string): number {
    return this.writes.get(path) ?? 0;
  }

  private handle(req: FakeRequest): FakeReply {
    this.beforeRequest?.(req);
    if (req.method === 'GET') {
      const o = this.objects.get(req.path);
      if (o) {
        this.beforeGet?.(req.path);
        return [200, this.objects.get(req.path)];
      }
      if (req.path.endsWith('s') && [...this.objects.keys()].some((p) => p.startsWith(`${req.path}/`)) || req.path.endsWith('/replicasets')) {
        const all = this.list(req.path, req.query.get('labelSelector') ?? '');
        const from = Number(req.query.get('continue') ?? 0);
        const next = from + Math.min(this.pageSize, all.length);
        const metadata: Obj = { resourceVersion: String(this.rv) };
        if (next < all.length) metadata.continue = String(next);
        return [200, { kind: 'List', apiVersion: 'v1', metadata, items: all.slice(from, next) }];
      }
      return status(404, 'NotFound', `${req.path.split('/').at(-2) ?? 'object'} "${req.path.split('/').at(-1) ?? ''}" not found`);
    }
    if (req.method === 'PATCH') {
      const sub = req.path.endsWith('/status');
      const path = sub ? req.path.slice(0, -'/status'.length) : req.path;
      const current = this.objects.get(path);
      if (!current) return status(404, 'NotFound', `"${path.split('/').at(-1) ?? ''}" not found`);
      if (this.rejectPatch) {
        const answer = this.rejectPatch;
        this.rejectPatch = null;
        return answer;
      }
      const type = req.headers['content-type'] ?? '';
      // A resourceVersion in a merge patch is a precondition, as on a real API server.
      const wantRv = type.startsWith('application/merge-patch+json') ? (req.body as Obj | undefined)?.metadata?.resourceVersion : undefined;
      if (wantRv !== undefined && wantRv !== current.metadata.resourceVersion) {
        const kind = String(current.kind ?? 'object').toLowerCase();
        return status(409, 'Conflict', `Operation cannot be fulfilled on ${kind}s "${String(current.metadata.name ?? '')}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      let next: Obj;
      try {
        if (type.startsWith('application/json-patch+json')) next = applyJsonPatch(current, req.body as Obj[]);
        else if (type.startsWith('application/merge-patch+json')) next = applyMergePatch(current, req.body) as Obj;
        else return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json`);
      } catch (err) {
        return status(422, 'Invalid', (err as Error).message);
      }
      // A status patch changes only status; a main-resource patch never changes status.
      if (sub) next = { ...current, status: next.status };
      else next.status = current.status;
      if (req.query.get('dryRun') === 'All') return [200, next];
      if (JSON.stringify(next.spec) !== JSON.stringify(current.spec)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
      next.metadata.resourceVersion = String(++this.rv);
      this.objects.set(path, next);
      this.writes.set(path, this.writesTo(path) + 1);
      for (const c of this.controllers) c(path);
      return [200, this.objects.get(path)];
    }
    return status(405, 'MethodNotAllowed', `${req.method} is not supported by the fake`);
  }

  /** The ReplicaSets a Deployment-like controller keeps: reuse the one matching the template, else create one. */
  reconcileReplicaSets(opts: {
    ownerPath: string;
    rsCollection: string;
    revisionAnnotation: string;
    historyAnnotation: string;
    hashLabel: string;
    ownerKind: string;
  }): Obj {
    const owner = this.get(opts.ownerPath);
    const mine = this.list(opts.rsCollection).filter((rs) => rs.metadata.ownerReferences?.some((r: Obj) => r.uid === owner.metadata.uid && r.controller));
    const hash = templateHash(owner.spec.template);
    const maxRev = Math.max(0, ...mine.map((rs) => Number(rs.metadata.annotations?.[opts.revisionAnnotation] ?? 0)));
    let rs = mine.find((r) => templateHash(r.spec.template) === hash);
    if (rs) {
      const rev = Number(rs.metadata.annotations[opts.revisionAnnotation]);
      if (rev !== maxRev) {
        const hist = rs.metadata.annotations[opts.historyAnnotation];
        rs.metadata.annotations[opts.historyAnnotation] = hist ? `${hist},${rev}` : String(rev);
        rs.metadata.annotations[opts.revisionAnnotation] = String(maxRev + 1);
        rs.metadata.resourceVersion = String(++this.rv);
      }
    } else {
      const template = clone(owner.spec.template);
      template.metadata ??= {};
      template.metadata.labels = { ...template.metadata.labels, [opts.hashLabel]: hash };
      const annotations: Record<string, string> = { [opts.revisionAnnotation]: String(maxRev + 1) };
      for (const [k, v] of Object.entries(owner.metadata.annotations ?? {})) {
        if (!k.startsWith('deployment.kubernetes.io/') && !k.startsWith('rollout.argoproj.io/') && !k.startsWith('backstop.dev/')) annotations[k] = String(v);
      }
      rs = this.put(`${opts.rsCollection}/${owner.metadata.name}-${hash}`, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${owner.metadata.name}-${hash}`,
          namespace: owner.metadata.namespace,
          uid: `uid-rs-${hash}`,
          labels: template.metadata.labels,
          annotations,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: opts.ownerKind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: { replicas: owner.spec.replicas, selector: { matchLabels: { ...owner.spec.selector.matchLabels, [opts.hashLabel]: hash } }, template },
        status: { replicas: owner.spec.replicas, availableReplicas: owner.spec.replicas },
      });
    }
    return rs;
  }
}
