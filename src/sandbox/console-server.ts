import { readFile } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody } from '../http/read-body.js';
import { buildBlockActionsBody, buildSlashCommandBody, slackFormHeaders } from '../slack/signing.js';
import type { SlackEmulator } from './slack-emulator.js';

/**
 * Backend of the sandbox console (`/sandbox`): it reads the emulator's state for the page and
 * turns a person's clicks into requests to the bot exactly as Slack would send them: signed,
 * form-encoded, with a trigger id and a response_url the emulator honours.
 */
export interface ConsoleOptions {
  emulator: SlackEmulator;
  /** The bot's base URL, known once its server listens. */
  botUrl: () => string;
  signingSecret: string;
  /** Deliver clicks and commands over the emulator's Socket Mode connection instead of signed HTTP. */
  socketMode?: boolean;
  alertmanagerToken?: string;
  users: readonly { id: string; name: string; real_name: string; role: string }[];
  /** Labels of the demo alert (must match a service in the policy). */
  demoService: string;
  /** Reset demo: closes the demo's open incident as `user` and puts the registry back; says what it did. */
  resetDemo?: (user: string) => Promise<string>;
}

const TEAM = { id: 'T0SANDBOX', domain: 'backstop-sandbox' };
/** Where the demo alert says it came from, as Prometheus would: the incident header links it (no such host here). */
const DEMO_GENERATOR_URL = 'http://prometheus.sandbox:9090/graph?g0.expr=model_accuracy%7Bservice%3D%22fraud-scorer%22%7D+%3C+0.85';
const APP_ID = 'A0BACKSTOP';
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
/** The page and its ES modules (src/sandbox/console/*.js): a plain name, never a path. */
const CONSOLE_FILE = /^\/sandbox\/([a-z][a-z0-9-]*\.(?:js|css))$/;

function staticFile(path: string): string | undefined {
  if (path === '/sandbox' || path === '/sandbox/') return 'index.html';
  return CONSOLE_FILE.exec(path)?.[1];
}

/** Uploaded files the page shows inline; anything else is served as a download. */
const FILE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

const userId = z.string().min(1);
const clickSchema = z.object({ user: userId, channel: z.string().min(1), messageTs: z.string().min(1), actionId: z.string().min(1), blockId: z.string().optional() });
const commandSchema = z.object({ user: userId, channel: z.string().min(1), text: z.string().max(4000) });
const viewSubmitSchema = z.object({ user: userId, viewId: z.string().min(1), values: z.record(z.string(), z.record(z.string(), z.string())) });
const viewCloseSchema = z.object({ user: userId, viewId: z.string().min(1) });
const alertSchema = z.object({ status: z.enum(['firing', 'resolved']) });
const resetSchema = z.object({ user: userId });

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

export function isLoopback(address: string | undefined): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

export function createConsole(opts: ConsoleOptions): RequestListener {
  const { emulator } = opts;
  const closedViews = new Set<string>();
  const clients = new Set<ServerResponse>();
  let demoAlert: { startsAt: string; fingerprint: string } | null = null;
  let pending: NodeJS.Timeout | null = null;

  // Coalesce bursts of emulator changes into one SSE event.
  emulator.on('change', () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      for (const c of clients) c.write('event: change\ndata: {}\n\n');
    }, 50);
  });

  const findUser = (id: string) => opts.users.find((u) => u.id === id);

  async function toBot(body: string): Promise<{ status: number; body: unknown }> {
    if (opts.socketMode) {
      // Over the socket: the ack's payload is what an HTTP answer's body would have been.
      const delivered = await emulator.deliverOverSocket(body);
      return { status: delivered.acked ? 200 : 504, body: delivered.response ?? null };
    }
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${opts.botUrl()}/slack/events`, { method: 'POST', headers: { ...slackFormHeaders(opts.signingSecret, body, ts) }, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Bolt acks with an empty body; keep the text.
    }
    return { status: res.status, body: parsed };
  }

  function state(me: string) {
    const channels = emulator.listChannels().filter((c) => !c.is_im && !c.is_archived);
    return {
      me,
      botUserId: emulator.botUserId,
      users: opts.users,
      usergroups: emulator.listUsergroups().map((g) => ({ id: g.id, handle: g.handle, name: g.name })),
      channels: channels.map((c) => ({ id: c.id, name: c.name })),
      messages: Object.fromEntries(channels.map((c) => [c.id, emulator.messages(c.id)])),
      ephemerals: emulator.ephemerals(me),
      views: emulator.views().filter((v) => v.user === me && !closedViews.has(v.id)).map((v) => ({ id: v.id, view: v.view })),
    };
  }

  function demoPayload(status: 'firing' | 'resolved') {
    const now = new Date().toISOString();
    if (status === 'firing' || !demoAlert) demoAlert = { startsAt: now, fingerprint: Date.now().toString(16).slice(-12).padStart(12, '0') + 'a1f0' };
    const labels = { alertname: 'ModelAccuracyDrop', service: opts.demoService, severity: 'critical', version: 'v42' };
    const annotations = { summary: `${opts.demoService} accuracy below 0.85 for 10m` };
    return {
      receiver: 'backstop', status, version: '4',
      alerts: [{ status, labels, annotations, startsAt: demoAlert.startsAt, endsAt: status === 'resolved' ? now : '0001-01-01T00:00:00Z', generatorURL: DEMO_GENERATOR_URL, fingerprint: demoAlert.fingerprint }],
      groupLabels: { alertname: labels.alertname, service: labels.service }, commonLabels: labels, commonAnnotations: annotations,
      externalURL: 'http://alertmanager.sandbox:9093', groupKey: `{}:{alertname="${labels.alertname}", service="${labels.service}"}`, truncatedAlerts: 0,
    };
  }

  type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  const post = <T>(schema: z.ZodType<T>, fn: (input: T, res: ServerResponse) => Promise<void>): Handler => async (req, res) => {
    let raw: unknown;
    try {
      raw = JSON.parse(await readBody(req, 65_536));
    } catch {
      return json(res, 400, { error: 'invalid_json' });
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return json(res, 400, { error: 'invalid_request', issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    await fn(parsed.data, res);
  };

  const api: Record<string, Handler> = {
    'GET /sandbox/api/state': async (req, res) => {
      const me = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? opts.users[0]?.id ?? '';
      json(res, 200, state(me));
    },
    // Uploaded files (files.uploadV2): the page cannot send the bot token url_private needs.
    'GET /sandbox/api/file': async (req, res) => {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
      const file = emulator.files().find((f) => f.id === id && f.completed);
      if (!file?.content) return json(res, 404, { error: 'file_not_found' });
      const ext = file.filename.split('.').pop()?.toLowerCase() ?? '';
      const type = FILE_TYPES[ext];
      const name = encodeURIComponent(file.filename);
      res.writeHead(200, {
        'content-type': type ?? 'application/octet-stream', 'content-length': String(file.content.length), 'cache-control': 'no-store',
        // Bytes the bot uploaded, shown to a person: never run as a page.
        'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox",
        'content-disposition': `${type ? 'inline' : 'attachment'}; filename*=UTF-8''${name}`,
      });
      res.end(file.content);
    },
    'GET /sandbox/api/events': async (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('event: change\ndata: {}\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    'POST /sandbox/api/click': post(clickSchema, async (input, res) => {
      const user = findUser(input.user);
      const channel = emulator.channel(input.channel);
      const message = emulator.messages(input.channel).find((m) => m.ts === input.messageTs);
      if (!user || !channel || !message) return json(res, 404, { error: 'unknown user, channel or message' });
      const body = buildBlockActionsBody({
        user: { id: user.id, username: user.name }, team: TEAM, apiAppId: APP_ID, channel: { id: channel.id, name: channel.name },
        message: message as unknown as { ts: string; blocks?: unknown }, actionId: input.actionId, blockId: input.blockId,
        actionTs: `${(Date.now() / 1000).toFixed(6)}`, triggerId: emulator.triggerId(user.id),
        responseUrl: emulator.responseUrl(channel.id, user.id, { messageTs: message.ts }),
      });
      json(res, 200, await toBot(body));
    }),
    'POST /sandbox/api/command': post(commandSchema, async (input, res) => {
      const user = findUser(input.user);
      const channel = emulator.channel(input.channel);
      if (!user || !channel) return json(res, 404, { error: 'unknown user or channel' });
      const text = input.text.replace(/^\s*\/backstop\b/, '').trim();
      const body = buildSlashCommandBody({
        team: TEAM, channel: { id: channel.id, name: channel.name }, user: { id: user.id, username: user.name }, command: '/backstop', text,
        apiAppId: APP_ID, responseUrl: emulator.responseUrl(channel.id, user.id), triggerId: emulator.triggerId(user.id),
      });
      json(res, 200, await toBot(body));
    }),
    'POST /sandbox/api/view-submit': post(viewSubmitSchema, async (input, res) => {
      const user = findUser(input.user);
      const opened = emulator.views().find((v) => v.id === input.viewId && v.user === input.user);
      if (!user || !opened || closedViews.has(opened.id)) return json(res, 404, { error: 'no such open view' });
      const values = Object.fromEntries(Object.entries(input.values).map(([block, actions]) =>
        [block, Object.fromEntries(Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }]))]));
      const payload = {
        type: 'view_submission', team: TEAM, user: { id: user.id, username: user.name, name: user.name, team_id: TEAM.id },
        api_app_id: APP_ID, token: 'sandbox-verification-token', trigger_id: emulator.triggerId(user.id),
        view: { ...opened.view, id: opened.id, team_id: TEAM.id, app_id: APP_ID, state: { values }, hash: `${Date.now()}.sandbox` },
        response_urls: [],
      };
      const result = await toBot(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
      const errors = (result.body as { response_action?: string } | null)?.response_action === 'errors';
      if (!errors && result.status === 200) closedViews.add(opened.id);
      json(res, 200, result);
    }),
    'POST /sandbox/api/view-close': post(viewCloseSchema, async (input, res) => {
      closedViews.add(input.viewId);
      json(res, 200, { ok: true });
      for (const c of clients) c.write('event: change\ndata: {}\n\n');
    }),
    'POST /sandbox/api/reset-demo': post(resetSchema, async (input, res) => {
      if (!findUser(input.user)) return json(res, 404, { error: 'unknown user' });
      if (!opts.resetDemo) return json(res, 404, { error: 'not_found', message: 'this console has no demo to reset' });
      demoAlert = null;
      json(res, 200, { ok: true, message: await opts.resetDemo(input.user) });
    }),
    'POST /sandbox/api/alert': post(alertSchema, async (input, res) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (opts.alertmanagerToken) headers.authorization = `Bearer ${opts.alertmanagerToken}`;
      const r = await fetch(`${opts.botUrl()}/alerts/alertmanager`, { method: 'POST', headers, body: JSON.stringify(demoPayload(input.status)) });
      json(res, 200, { status: r.status, body: await r.json() });
    }),
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = api[`${req.method} ${path}`];
    // The console API signs Slack requests as any user: only this machine may use it.
    if (handler && !isLoopback(req.socket.remoteAddress)) return json(res, 403, { error: 'forbidden', message: 'the sandbox console API answers only requests from this machine (loopback)' });
    if (handler) {
      handler(req, res).catch((err: unknown) => {
        if (!res.headersSent) json(res, 502, { error: 'bot_unreachable', message: err instanceof Error ? err.message : String(err) });
      });
      return;
    }
    const file = req.method === 'GET' ? staticFile(path) : undefined;
    if (!file) return json(res, 404, { error: 'not_found' });
    readFile(new URL(`./console/${file}`, import.meta.url))
      .then((content) => {
        res.writeHead(200, { 'content-type': TYPES[file.split('.').pop()!] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(content);
      })
      .catch(() => json(res, 404, { error: 'not_found', message: `console file ${file} is missing from this build` }));
  };
}
