import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { causeOf, clip, isRetryableStatus, parseJson } from '../support.js';

/**
 * A small Kubernetes API client over node:https: enough for GET, LIST and PATCH with the
 * content type each patch needs. Credentials come from the pod's service account or from a
 * kubeconfig (token, client certificate, CA); exec and auth-provider plugins are not run.
 */

export interface KubeCredentials {
  server: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
  insecureSkipTlsVerify?: boolean;
}

/** Read at each request: a projected service-account token is rotated under our feet. */
export type CredentialSource = () => KubeCredentials;

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inClusterCredentials(env: Record<string, string | undefined>, dir = SA_DIR): CredentialSource {
  return () => {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? '443';
    if (!host) throw new Error('not running in a cluster (KUBERNETES_SERVICE_HOST is not set) and no kubeconfig is configured');
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return { server, ca: readFileSync(`${dir}/ca.crt`), token: readFileSync(`${dir}/token`, 'utf8').trim() };
  };
}

const cluster = z.object({
  server: z.string(),
  'certificate-authority': z.string().optional(),
  'certificate-authority-data': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
}).loose();

const user = z.object({
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  'client-certificate': z.string().optional(),
  'client-certificate-data': z.string().optional(),
  'client-key': z.string().optional(),
  'client-key-data': z.string().optional(),
  exec: z.unknown().optional(),
  'auth-provider': z.unknown().optional(),
}).loose();

const kubeconfigSchema = z.object({
  'current-context': z.string().optional(),
  clusters: z.array(z.object({ name: z.string(), cluster }).loose()).default([]),
  users: z.array(z.object({ name: z.string(), user }).loose()).default([]),
  contexts: z.array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string().optional() }).loose() }).loose()).default([]),
}).loose();

export function kubeconfigCredentials(file: string, context?: string): CredentialSource {
  return () => {
    const parsed = kubeconfigSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`kubeconfig ${file} is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const kc = parsed.data;
    const ctxName = context ?? kc['current-context'];
    const ctx = kc.contexts.find((c) => c.name === ctxName)?.context;
    if (!ctx) throw new Error(`kubeconfig ${file} has no context ${ctxName ?? '(no current-context)'}`);
    const found = kc.clusters.find((c) => c.name === ctx.cluster)?.cluster;
    if (!found) throw new Error(`kubeconfig ${file} has no cluster ${ctx.cluster}`);
    const u = kc.users.find((x) => x.name === ctx.user)?.user ?? {};
    if ((u.exec || u['auth-provider']) && !u.token && !u.tokenFile && !u['client-certificate-data'] && !u['client-certificate']) {
      throw new Error(`kubeconfig user ${ctx.user ?? ''} authenticates with an exec or auth-provider plugin, which Backstop does not run; use a service-account token`);
    }
    const base = dirname(file);
    const fromFile = (p: string) => readFileSync(resolve(base, p));
    const b64 = (s: string) => Buffer.from(s, 'base64');
    const creds: KubeCredentials = { server: found.server, insecureSkipTlsVerify: found['insecure-skip-tls-verify'] === true };
    if (found['certificate-authority-data']) creds.ca = b64(found['certificate-authority-data']);
    else if (found['certificate-authority']) creds.ca = fromFile(found['certificate-authority']);
    if (u.token) creds.token = u.token;
    else if (u.tokenFile) creds.token = fromFile(u.tokenFile).toString('utf8').trim();
    if (u['client-certificate-data']) creds.cert = b64(u['client-certificate-data']);
    else if (u['client-certificate']) creds.cert = fromFile(u['client-certificate']);
    if (u['client-key-data']) creds.key = b64(u['client-key-data']);
    else if (u['client-key']) creds.key = fromFile(u['client-key']);
    return creds;
  };
}

/**
 * `path` under the server URL. Rancher and other proxies serve the API below a path
 * (`https://host/k8s/clusters/c-abc`); `new URL('/apis/…', server)` would drop it.
 */
export function apiUrl(server: string, path: string): URL {
  const base = new URL(server);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return base;
}

export function credentialsFor(config: { kubeconfig?: string; context?: string }, env: Record<string, string | undefined>): CredentialSource {
  return config.kubeconfig ? kubeconfigCredentials(config.kubeconfig, config.context) : inClusterCredentials(env);
}

export type KubeResponse =
  | { kind: 'response'; status: number; body: unknown }
  | { kind: 'failed'; message: string };

export type PatchType = 'json' | 'merge';

const CONTENT_TYPE: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
};

export interface RequestOptions {
  query?: Record<string, string>;
  patch?: { type: PatchType; body: unknown };
}

const statusSchema = z.object({ kind: z.literal('Status'), message: z.string().optional(), reason: z.string().optional() }).loose();

/** What a failed call means to a rollback: retry later, or stop and show the server's own words. */
export interface KubeFailure {
  retryable: boolean;
  notFound: boolean;
  /** 409, or a guarded JSON patch whose `test` no longer holds (422): someone changed the object. */
  conflict: boolean;
  status: number | null;
  message: string;
}

export function kubeFailure(res: KubeResponse, what: string): KubeFailure {
  if (res.kind === 'failed') return { retryable: true, notFound: false, conflict: false, status: null, message: `${what}: ${res.message}` };
  const s = statusSchema.safeParse(res.body);
  const said = s.success ? `${s.data.reason ? `${s.data.reason}: ` : ''}${clip(s.data.message ?? '')}` : clip(typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? ''));
  return {
    retryable: isRetryableStatus(res.status),
    notFound: res.status === 404,
    conflict: res.status === 409,
    status: res.status,
    message: `${what} answered ${res.status}: ${said}`,
  };
}

export function isOk(res: KubeResponse): res is { kind: 'response'; status: number; body: unknown } {
  return res.kind === 'response' && res.status >= 200 && res.status < 300;
}

export class KubeClient {
  constructor(
    private readonly credentials: CredentialSource,
    private readonly timeoutMs: number,
  ) {}

  get(path: string, query?: Record<string, string>): Promise<KubeResponse> {
    return this.request('GET', path, { query });
  }

  patch(path: string, type: PatchType, body: unknown, query?: Record<string, string>): Promise<KubeResponse> {
    return this.request('PATCH', path, { query, patch: { type, body } });
  }

  /** Every item of a LIST, following `continue` tokens. */
  async list(path: string, query: Record<string, string>): Promise<{ ok: true; items: unknown[] } | { ok: false; res: KubeResponse }> {
    const items: unknown[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await this.get(path, { ...query, limit: '500', ...(token ? { continue: token } : {}) });
      if (!isOk(res)) return { ok: false, res };
      const parsed = z.object({ items: z.array(z.unknown()).nullable().optional(), metadata: z.object({ continue: z.string().optional() }).loose().optional() }).loose().safeParse(res.body);
      if (!parsed.success) return { ok: false, res: { kind: 'failed', message: `LIST ${path} answered an unexpected body` } };
      items.push(...(parsed.data.items ?? []));
      token = parsed.data.metadata?.continue || undefined;
      if (!token) return { ok: true, items };
    }
    return { ok: false, res: { kind: 'failed', message: `LIST ${path} did not finish within 100 pages` } };
  }

  async request(method: 'GET' | 'PATCH', path: string, opts: RequestOptions = {}): Promise<KubeResponse> {
    let creds: KubeCredentials;
    try {
      creds = this.credentials();
    } catch (err) {
      return { kind: 'failed', message: `cannot load cluster credentials: ${err instanceof Error ? err.message : String(err)}` };
    }
    const url = apiUrl(creds.server, path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const body = opts.patch ? JSON.stringify(opts.patch.body) : undefined;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (creds.token) headers.authorization = `Bearer ${creds.token}`;
    if (opts.patch && body !== undefined) {
      headers['content-type'] = CONTENT_TYPE[opts.patch.type];
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<KubeResponse>((done) => {
      let settled = false;
      const finish = (r: KubeResponse) => {
        if (!settled) {
          settled = true;
          done(r);
        }
      };
      const req = send(
        url,
        { method, headers, ca: creds.ca, cert: creds.cert, key: creds.key, rejectUnauthorized: !creds.insecureSkipTlsVerify, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const json = parseJson(text);
            finish({ kind: 'response', status: res.statusCode ?? 0, body: json === undefined ? text : json });
          });
          res.on('error', (err) => finish({ kind: 'failed', message: `${method} ${url.pathname} failed: ${causeOf(err)}` }));
        },
      );
      req.on('timeout', () => {
        finish({ kind: 'failed', message: `${method} ${url.pathname} did not answer within ${this.timeoutMs} ms` });
        req.destroy();
      });
      req.on('error', (err) => finish({ kind: 'failed', message: `${method} ${url.pathname} failed: ${causeOf(err)}` }));
      req.end(body);
    });
  }
}
