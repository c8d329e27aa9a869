/** Web API arguments from a request: the query string plus a form-encoded, JSON or multipart body. */
import type { IncomingMessage } from 'node:http';
import type { SlackErrorCode } from '../api-result.js';
import { isRecord, type Args } from '../args.js';

/** `application/json` from `application/json; charset=utf-8`. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Form-encoded is what WebClient sends. `json` says the arguments came as JSON, where Slack
 * takes the token only from the Authorization header.
 */
export async function parseArgs(req: IncomingMessage, query: URLSearchParams, body: Buffer): Promise<{ args: Args; json: boolean } | { error: SlackErrorCode }> {
  const args: Args = Object.fromEntries(query);
  const type = mediaType(req);
  if (body.length === 0) return { args, json: false };
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return { error: 'invalid_json' };
    }
    if (!isRecord(parsed)) return { error: 'invalid_json' };
    return { args: { ...args, ...parsed }, json: true };
  }
  if (type === 'multipart/form-data') {
    try {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
      for (const [key, value] of form.entries()) {
        args[key] = typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer());
      }
    } catch {
      return { error: 'invalid_form_data' };
    }
    return { args, json: false };
  }
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) args[key] = value;
  return { args, json: false };
}

/** The token of an `Authorization: Bearer …` header. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}
