/**
 * Routes a request: `/api/<method>` (the Web API), `/response/<id>` (response_url posts) and
 * `/upload/v1/<id>` (file upload URLs), `GET /files/<id>/<name>` (a file's `url_private`, read with
 * the bot token as Slack requires). Anything else is a 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, readRawBody } from '../../../http/read-body.js';
import { isRecord } from '../args.js';
import { receiveUpload } from '../methods/files.js';
import { mimetypeOf } from '../serialise.js';
import { postToResponseUrl } from '../methods/response-url.js';
import type { EmulatorContext } from './context.js';
import { bearer, mediaType } from './parse-args.js';
import { sendJson } from './send.js';
import { serveWebApi } from './web-api.js';

/**
 * Far above the bot's own 1 MB limit (src/http/limits.ts): what Slack accepts is the measure
 * here, and uploads go through the same server.
 */
const BODY_LIMIT = 20 * 1024 * 1024;

export async function route(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  let body: Buffer;
  try {
    body = await readRawBody(req, BODY_LIMIT);
  } catch (err) {
    // The rest of the body was dropped unread: close the connection after answering.
    if (err instanceof BodyTooLarge) return sendJson(res, 413, { ok: false, error: 'request_too_large' }, { connection: 'close' });
    throw err;
  }
  const path = url.pathname;
  if (path.startsWith('/api/')) return serveWebApi(ctx, req, res, decodeURIComponent(path.slice('/api/'.length)), url.searchParams, body);
  if (path.startsWith('/response/') && req.method === 'POST') return serveResponseUrl(ctx, req, res, path.slice('/response/'.length), body);
  if (path.startsWith('/upload/v1/') && req.method === 'POST') return serveUpload(ctx, req, res, path.slice('/upload/v1/'.length), body);
  if (path.startsWith('/files/') && req.method === 'GET') return serveFile(ctx, req, res, decodeURIComponent(path.slice('/files/'.length).split('/')[0] ?? ''));
  sendJson(res, 404, { ok: false, error: 'not_found' });
}

function serveResponseUrl(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string, body: Buffer): void {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    payload = undefined;
  }
  const { status, result } = postToResponseUrl(ctx.ws, id, mediaType(req), payload);
  ctx.calls.record('response_url', { ...(isRecord(payload) ? payload : {}), response_url: id }, status, result);
  sendJson(res, status, result);
}

async function serveUpload(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string, body: Buffer): Promise<void> {
  const { status, text } = await receiveUpload(ctx.ws, id, req.headers['content-type'] ?? '', body);
  ctx.calls.record('file_upload', { file_id: id, bytes: body.length }, status, status === 200 ? { ok: true } : { ok: false, error: text });
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** A shared file's bytes, as a client downloads `url_private`: `Authorization: Bearer <bot token>`. */
function serveFile(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  const token = bearer(req.headers.authorization);
  if (token !== ctx.ws.identity.botToken) return sendJson(res, 403, { ok: false, error: token ? 'invalid_auth' : 'not_authed' });
  const file = ctx.ws.files.get(id);
  if (!file || !file.completed || file.content === null) return sendJson(res, 404, { ok: false, error: 'file_not_found' });
  res.writeHead(200, { 'content-type': mimetypeOf(file.filename), 'content-length': String(file.content.length) });
  res.end(file.content);
}
