/**
 * `/api/<method>`: arguments parsed, token checked, injected faults applied, then the method's
 * answer. Every answer is recorded in the call log, refusals included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail, type ApiResult } from '../api-result.js';
import { str } from '../args.js';
import { APP_TOKEN_METHODS } from '../methods/apps.js';
import type { EmulatorContext } from './context.js';
import { bearer, parseArgs } from './parse-args.js';
import { sendJson } from './send.js';

export async function serveWebApi(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, method: string, query: URLSearchParams, body: Buffer): Promise<void> {
  const parsed = await parseArgs(req, query, body);
  const args = 'args' in parsed ? parsed.args : {};
  const respond = (status: number, result: ApiResult, headers: Record<string, string> = {}): void => {
    ctx.calls.record(method, args, status, result);
    sendJson(res, status, result, headers);
  };
  if ('error' in parsed) return respond(200, fail(parsed.error));
  const handler = Object.hasOwn(ctx.methods, method) ? ctx.methods[method] : undefined;
  if (!handler) return respond(200, fail('unknown_method', { req_method: method }));
  // api.test needs no token; apps.connections.open takes the app-level token, everything else
  // the bot token, and either one where the other belongs is refused as Slack refuses it.
  if (method !== 'api.test') {
    const token = bearer(req.headers.authorization) ?? (parsed.json ? undefined : str(args, 'token'));
    if (!token) return respond(200, fail('not_authed'));
    const { botToken, appToken } = ctx.ws.identity;
    const kind = token === botToken ? 'bot' : token === appToken ? 'app' : undefined;
    if (!kind) return respond(200, fail('invalid_auth'));
    if (kind !== (APP_TOKEN_METHODS.has(method) ? 'app' : 'bot')) return respond(200, fail('not_allowed_token_type'));
  }
  const fault = ctx.faults.take(method);
  if (fault) {
    if ('error' in fault) return respond(200, { ok: false, error: fault.error });
    if (fault.status === 429) {
      const retryAfter = fault.retryAfter ?? 1;
      return respond(429, fail('ratelimited'), { 'retry-after': String(retryAfter) });
    }
    return respond(500, fail('internal_error'));
  }
  respond(200, handler(args));
}
