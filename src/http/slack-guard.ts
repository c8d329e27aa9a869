import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Clock } from '../ports/clock.js';
import { checkEnvelope } from '../slack/envelope.js';
import type { SeenRequestRepository } from '../ports/store.js';
import { BodyTooLarge, readRawBody, refuseTooLarge } from './read-body.js';

const WINDOW_S = 5 * 60;

export type GuardRefusal = 'missing_signature' | 'bad_timestamp' | 'stale_timestamp' | 'future_timestamp' | 'bad_signature' | 'replayed' | 'too_large' | 'malformed_payload';

/**
 * Checks every Slack request before Bolt sees it: signature, a timestamp within five
 * minutes either way (Bolt accepts any future one), and no replay of an accepted request.
 * The verified body is handed on as `rawBody`, which Bolt uses instead of re-reading.
 */
export function slackGuard(opts: { signingSecret: string; clock: Clock; seen: SeenRequestRepository; onRefuse?: (reason: GuardRefusal) => void }, next: RequestListener): RequestListener {
  const refuse = (res: ServerResponse, status: number, reason: GuardRefusal, message?: string) => {
    opts.onRefuse?.(reason);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error: reason, ...(message ? { message } : {}) }));
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      let body: Buffer;
      try {
        body = await readRawBody(req);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          opts.onRefuse?.('too_large');
          return refuseTooLarge(res, { ok: false, error: 'too_large' });
        }
        throw err;
      }
      const signature = header(req, 'x-slack-signature');
      const tsText = header(req, 'x-slack-request-timestamp');
      if (!signature || !tsText) return refuse(res, 401, 'missing_signature');
      if (!/^\d{1,12}$/.test(tsText)) return refuse(res, 401, 'bad_timestamp');
      const ts = Number(tsText);
      const now = Math.floor(opts.clock.now().getTime() / 1000);
      if (now - ts > WINDOW_S) return refuse(res, 401, 'stale_timestamp');
      if (ts - now > WINDOW_S) return refuse(res, 401, 'future_timestamp');
      const expected = `v0=${createHmac('sha256', opts.signingSecret).update(`v0:${tsText}:`).update(body).digest('hex')}`;
      const a = Buffer.from(expected);
      const b = Buffer.from(signature);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return refuse(res, 401, 'bad_signature');
      const envelope = checkEnvelope(req.headers['content-type'], body.toString('utf8'));
      if (!envelope.ok) return refuse(res, 400, 'malformed_payload', envelope.message);
      if (!(await opts.seen.remember(signature, opts.clock.now().toISOString()))) return refuse(res, 401, 'replayed');
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      next(req, res);
    })().catch(() => {
      if (!res.headersSent) refuse(res, 400, 'bad_signature');
    });
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}
