import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { verifyWebhookSignature } from '../adapters/http-webhook/adapter.js';
import type { Deps } from '../app/deps.js';
import { handleAlerts } from '../app/handle-alerts.js';
import { handlePagerDuty } from '../app/handle-pagerduty.js';
import { formatPath } from '../config/policy.js';
import { alertmanagerPayload, normaliseAlertmanager } from '../intake/alertmanager.js';
import { deployPayload } from '../intake/deploys.js';
import { genericPayload, normaliseGeneric } from '../intake/generic.js';
import { pagerDutyWebhook, verifyPagerDutySignature } from '../intake/pagerduty.js';
import { BODY_LIMIT, createLimitedServer } from './limits.js';
import { BodyTooLarge, declaresTooLarge, readRawBody, refuseTooLarge } from './read-body.js';

export interface HttpOptions {
  deps: Deps;
  alertmanagerToken?: string;
  /** `none`: Alertmanager intake without a token, on purpose (ALERTMANAGER_AUTH=none). */
  alertmanagerAuth?: 'token' | 'none';
  genericSecret?: string;
  pagerDutySecret?: string;
  deployToken?: string;
  /** Bolt's request listener for /slack/*, absent in Socket Mode. */
  slack?: RequestListener;
  /** Extra routes under a path prefix (the sandbox console serves /sandbox). */
  mounts?: Record<string, RequestListener>;
  /** More readiness checks (name → "ok…" or what is wrong), e.g. leadership or Slack. */
  readiness?: () => Promise<Record<string, string>>;
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

type Auth = (req: IncomingMessage, raw: Buffer) => string | null;

/**
 * One JSON intake route: authenticate (before parsing anything), parse with its zod schema
 * (400 naming every bad field), then hand the typed body to `handle`.
 */
function jsonRoute<S extends z.ZodType>(auth: Auth, schema: S, handle: (body: z.output<S>, req: IncomingMessage) => Promise<{ status: number; body: unknown }>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    let raw: Buffer;
    try {
      raw = await readRawBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) return refuseTooLarge(res, { error: 'too_large', message: err.message });
      throw err;
    }
    const refused = auth(req, raw);
    if (refused) return send(res, 401, { error: 'unauthorized', message: refused });
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'invalid_json', message: 'the body is not JSON', issues: [] });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
      return send(res, 400, { error: 'invalid_payload', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });
    }
    const out = await handle(parsed.data, req);
    send(res, out.status, out.body);
  };
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

async function databaseCheck(deps: HttpOptions['deps']): Promise<Record<string, string>> {
  try {
    await deps.store.outbox.pending();
    return { database: 'ok' };
  } catch (err) {
    return { database: `unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** One HTTP server for alert intake, deploy events, health and (in HTTP mode) Slack's requests. */
export function createHttpServer(opts: HttpOptions): Server {
  const { deps } = opts;
  const bearer = (token: string, hint: string): Auth => (req) =>
    tokenMatches(req.headers.authorization, token) ? null : `missing or wrong bearer token: ${hint}`;
  const unconfigured = (what: string): Auth => () => `${what} is not configured on this Backstop`;
  // Fail closed: a forged alert can start a rollback, so no token means no intake unless opted out.
  const openToAll = opts.alertmanagerAuth === 'none';
  if (openToAll) {
    deps.log.warn('Alertmanager intake is unauthenticated (ALERTMANAGER_AUTH=none): anyone who can reach POST /alerts/alertmanager can open incidents and, with decision.mode automatic, start rollbacks');
  }
  const alertmanagerAuth: Auth = openToAll ? () => null
    : opts.alertmanagerToken ? bearer(opts.alertmanagerToken, 'set http_config.authorization.credentials in the Alertmanager webhook config')
      : () => 'Alertmanager intake needs ALERTMANAGER_TOKEN on this Backstop (or ALERTMANAGER_AUTH=none to accept unauthenticated alerts on purpose)';

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'POST /alerts/alertmanager': jsonRoute(alertmanagerAuth, alertmanagerPayload,
      async (body) => ({ status: 200, body: { ok: true, ...(await handleAlerts(deps, normaliseAlertmanager(body))) } })),

    'POST /alerts/generic': jsonRoute(
      opts.genericSecret
        ? (req, raw) => verifyWebhookSignature(opts.genericSecret!, header(req, 'x-backstop-timestamp') ?? '', raw, header(req, 'x-backstop-signature'), { now: deps.clock.now() })
          ? null : 'bad or stale X-Backstop-Signature / X-Backstop-Timestamp (see README: generic webhook)'
        : unconfigured('the generic webhook (GENERIC_WEBHOOK_SECRET)'),
      genericPayload, async (body) => ({ status: 200, body: { ok: true, ...(await handleAlerts(deps, normaliseGeneric(body))) } })),

    'POST /alerts/pagerduty': jsonRoute(
      opts.pagerDutySecret
        ? (req, raw) => verifyPagerDutySignature(opts.pagerDutySecret!, raw, header(req, 'x-pagerduty-signature')) ? null : 'no X-PagerDuty-Signature matches the subscription secret'
        : unconfigured('the PagerDuty webhook (PAGERDUTY_WEBHOOK_SECRET)'),
      pagerDutyWebhook, async (body, req) => ({ status: 200, body: { ok: true, ...(await handlePagerDuty(deps, body, header(req, 'x-webhook-id') ?? body.event.id)) } })),

    'POST /deploys': jsonRoute(opts.deployToken ? bearer(opts.deployToken, 'send Authorization: Bearer $DEPLOY_TOKEN') : unconfigured('deploy events (DEPLOY_TOKEN)'), deployPayload, async (body) => {
      if (!deps.service(body.service)) return { status: 400, body: { error: 'unknown_service', message: `service: "${body.service}" is not in the policy`, issues: [{ path: 'service', message: 'not in the policy' }] } };
      const now = deps.clock.now().toISOString();
      await deps.store.deploys.record({ service: body.service, version: body.version, at: body.at ?? now, by: body.by }, now);
      return { status: 201, body: { ok: true } };
    }),

    // Liveness: the process answers. Readiness: it can reach its database (whose migrations ran at start).
    'GET /healthz': async (_req, res) => send(res, 200, { ok: true }),
    'GET /readyz': async (_req, res) => {
      const checks = { ...(await databaseCheck(deps)), ...(opts.readiness ? await opts.readiness() : {}) };
      const ok = Object.values(checks).every((c) => c === 'ok' || c.startsWith('ok'));
      send(res, ok ? 200 : 503, { ok, checks });
    },
  };

  const server = createLimitedServer((req, res) => {
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
  // Node answers `Expect: 100-continue` by itself; refuse a body over the limit before it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaresTooLarge(req)) return refuseTooLarge(res, { error: 'too_large', message: new BodyTooLarge(BODY_LIMIT).message });
    res.writeContinue();
    server.emit('request', req, res);
  });
  return server;
}
