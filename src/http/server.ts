import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Deps } from '../app/deps.js';
import { handleAlerts } from '../app/handle-alerts.js';
import { formatPath } from '../config/policy.js';
import { alertmanagerPayload, normaliseAlertmanager } from '../intake/alertmanager.js';
import { BodyTooLarge, readBody } from './read-body.js';

export interface HttpOptions {
  deps: Deps;
  alertmanagerToken?: string;
  /** Bolt's request listener for /slack/*, absent in Socket Mode. */
  slack?: RequestListener;
  /** Extra routes under a path prefix (the sandbox console serves /sandbox). */
  mounts?: Record<string, RequestListener>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Constant-time comparison of hashes, so neither timing nor length leaks the token. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** One HTTP server for alert intake, health and (in HTTP mode) Slack's requests. */
export function createHttpServer(opts: HttpOptions): Server {
  const { deps } = opts;
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'POST /alerts/alertmanager': async (req, res) => {
      if (opts.alertmanagerToken && !tokenMatches(req.headers.authorization, opts.alertmanagerToken)) {
        send(res, 401, { error: 'unauthorized', message: 'missing or wrong bearer token: set http_config.authorization.credentials in the Alertmanager webhook config' });
        return;
      }
      let raw: string;
      try {
        raw = await readBody(req);
      } catch (err) {
        if (err instanceof BodyTooLarge) return send(res, 413, { error: 'too_large', message: err.message });
        throw err;
      }
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return send(res, 400, { error: 'invalid_json', message: 'the body is not JSON', issues: [] });
      }
      const parsed = alertmanagerPayload.safeParse(json);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
        return send(res, 400, { error: 'invalid_payload', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });
      }
      const summary = handleAlerts(deps, normaliseAlertmanager(parsed.data));
      send(res, 200, { ok: true, ...summary });
    },
    'GET /healthz': async (_req, res) => send(res, 200, { ok: true }),
  };

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes[`${req.method} ${path}`];
    if (route) {
      route(req, res).catch((err: unknown) => {
        deps.log.error({ err, path }, 'request failed');
        if (!res.headersSent) send(res, 500, { error: 'internal', message: 'Backstop failed to handle this request; it is logged' });
      });
      return;
    }
    if (path.startsWith('/slack/') && opts.slack) return opts.slack(req, res);
    for (const [prefix, listener] of Object.entries(opts.mounts ?? {})) {
      if (path === prefix || path.startsWith(`${prefix}/`)) return listener(req, res);
    }
    if (Object.keys(routes).some((r) => r.endsWith(` ${path}`))) return send(res, 405, { error: 'method_not_allowed' });
    send(res, 404, { error: 'not_found' });
  });
}
