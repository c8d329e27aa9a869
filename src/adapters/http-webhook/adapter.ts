import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { ExecuteOutcome, ExecuteRequest, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../../ports/rollback-adapter.js';
import { causeOf, clip, isRetryableStatus, parseJson, redactor, safeUrl } from '../support.js';
import { hasMoved, targetMoved } from '../target-moved.js';

/**
 * Hands the rollback to the team's own deploy system: a signed JSON POST carrying the
 * proposal id as `Idempotency-Key`, so the receiver can refuse to roll back twice, and the
 * version approvers saw as `expectedFrom`, so it can refuse a target that moved since.
 * The receiver contract is docs/http-webhook.md.
 */

export interface HttpWebhookOptions {
  service: string;
  url: string;
  /** The HMAC secret itself (the factory reads it from the env). */
  secret: string;
  timeoutMs: number;
  /** Optional URL answering GET with `{current, lastGood, deployedAt?}`. */
  versionsUrl?: string;
}

const SIGNATURE_VERSION = 'v1';
const CANNOT_CONFIRM = 'the target cannot report its version (no versionsUrl configured); SLIs only';

function hmacHex(secret: string, ts: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${SIGNATURE_VERSION}:${ts}:`).update(body).digest('hex');
}

/** `X-Backstop-Signature` value: `v1=<hex HMAC-SHA256(secret, "v1:<ts>:<raw body>")>`. */
export function signWebhook(secret: string, ts: number | string, body: string | Buffer): string {
  return `${SIGNATURE_VERSION}=${hmacHex(secret, String(ts), body)}`;
}

/**
 * For receivers: checks `X-Backstop-Signature` against the raw body and `X-Backstop-Timestamp`.
 * Give `now` to also refuse stale timestamps (replays); the default tolerance is 5 minutes.
 * Several comma-separated `v1=` values are accepted so a secret can be rotated.
 */
export function verifyWebhookSignature(
  secret: string,
  ts: string | number,
  body: string | Buffer,
  header: string | null | undefined,
  opts: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  const tsText = String(ts);
  if (!header || !/^\d{1,12}$/.test(tsText)) return false;
  if (opts.now) {
    const skew = Math.abs(Math.floor(opts.now.getTime() / 1000) - Number(tsText));
    if (skew > (opts.toleranceSeconds ?? 300)) return false;
  }
  const expected = Buffer.from(hmacHex(secret, tsText, body), 'hex');
  let match = false;
  for (const part of header.split(',')) {
    const m = /^v1=([0-9a-f]{64})$/i.exec(part.trim());
    if (!m?.[1]) continue;
    // No early exit: every candidate is compared in constant time.
    if (timingSafeEqual(Buffer.from(m[1], 'hex'), expected)) match = true;
  }
  return match;
}

const versionsSchema = z.object({
  current: z.string().min(1).nullable(),
  lastGood: z.string().min(1).nullable(),
  deployedAt: z.iso.datetime({ offset: true }).nullable().optional(),
});

// A 2xx body is optional; when it is JSON these fields are read, anything else is ignored.
const acceptedSchema = z.object({
  version: z.string().min(1).optional(),
  alreadyApplied: z.boolean().optional(),
  detail: z.string().optional(),
});

/** A receiver's atomic refusal: 409 `{"error":"target_moved","current":"v3"}` (see docs/http-webhook.md). */
const movedSchema = z.object({ error: z.literal('target_moved'), current: z.string().min(1).nullable().optional() });

const errorBodySchema = z.union([
  z.object({ message: z.string().min(1) }).transform((b) => b.message),
  z.object({ error: z.string().min(1) }).transform((b) => b.error),
]);

type Exchange =
  | { kind: 'response'; status: number; statusText: string; text: string; replayed: boolean; location: string | null }
  | { kind: 'failed'; message: string };

export class HttpWebhookAdapter implements RollbackAdapter {
  readonly kind = 'http-webhook';
  /** A receiver that echoes its config must not leak the secret into Slack or logs. */
  private readonly redact: (text: string) => string;

  constructor(
    private readonly opts: HttpWebhookOptions,
    private readonly clock: Clock,
  ) {
    this.redact = redactor([opts.secret]);
  }

  describe(): string {
    return `http-webhook service ${this.opts.service} at ${safeUrl(this.opts.url)}`;
  }

  async preflight(to: string): Promise<PreflightResult> {
    // The webhook target exposes no catalogue; only what its versions endpoint says can be checked.
    if (!this.opts.versionsUrl) return { ok: true, checks: [{ name: 'target reachable', ok: true, detail: 'no versionsUrl configured: the deploy system checks the version itself' }] };
    try {
      const v = await this.versions();
      return { ok: true, checks: [{ name: 'versions endpoint', ok: true, detail: `serving ${v.current ?? 'unknown'}, rolling back to ${to}` }] };
    } catch (err) {
      return { ok: false, checks: [{ name: 'versions endpoint', ok: false, detail: err instanceof Error ? err.message : String(err) }] };
    }
  }

  async readBack(to: string): Promise<ReadBack> {
    // A 2xx says the deploy system accepted the request, not that it serves `to`: never claim that.
    if (!this.opts.versionsUrl) return { confirmed: false, canConfirm: false, version: null, detail: CANNOT_CONFIRM };
    const v = await this.versions();
    return { confirmed: v.current === to, version: v.current, detail: `versions endpoint reports ${v.current ?? 'unknown'}` };
  }

  async versions(): Promise<VersionState> {
    const url = this.opts.versionsUrl;
    if (!url) return { current: null, lastGood: null, deployedAt: null };
    const ex = await this.send('GET', url, '', {});
    if (ex.kind === 'failed') throw new Error(this.redact(`versions endpoint ${safeUrl(url)}: ${ex.message}`));
    if (ex.status < 200 || ex.status > 299) {
      throw new Error(this.redact(`versions endpoint ${safeUrl(url)} answered ${this.statusLine(ex)}: ${this.targetMessage(ex.text)}`));
    }
    const parsed = versionsSchema.safeParse(parseJson(ex.text));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      throw new Error(this.redact(`versions endpoint ${safeUrl(url)} answered an unexpected body (want {current, lastGood, deployedAt?}): ${problems}`));
    }
    const { current, lastGood, deployedAt } = parsed.data;
    return { current, lastGood, deployedAt: deployedAt ? new Date(deployedAt) : null };
  }

  async plan(to: string): Promise<RollbackPlan> {
    const from = await this.currentOrNull();
    return {
      target: this.describe(),
      from,
      to,
      steps: [
        `POST a signed rollback request for ${this.opts.service} from ${from ?? '(unknown)'} to ${to} to ${safeUrl(this.opts.url)}; the receiver refuses (409) if it no longer serves ${from ?? 'the version shown'}`,
        `wait up to ${this.opts.timeoutMs} ms for a 2xx answer`,
        this.opts.versionsUrl ? `read ${safeUrl(this.opts.versionsUrl)} back until it reports ${to}` : CANNOT_CONFIRM,
      ],
    };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    // An early refusal when the target says what it serves; the receiver still checks atomically.
    // `to` is not a move: it may be our own earlier request whose answer was lost, and only the
    // receiver knows the key.
    const from = await this.currentOrNull();
    if (from !== null && hasMoved(req.expectedFrom, from, [req.to])) return targetMoved(this.describe(), from, req.expectedFrom);
    const body = JSON.stringify({
      service: this.opts.service,
      from,
      expectedFrom: req.expectedFrom ?? null,
      to: req.to,
      idempotencyKey: req.idempotencyKey,
      actor: req.actor,
      reason: req.reason,
      requestedAt: this.clock.now().toISOString(),
    });
    const ex = await this.send('POST', this.opts.url, body, { 'Idempotency-Key': req.idempotencyKey });
    if (ex.kind === 'failed') return { ok: false, retryable: true, message: this.redact(ex.message) };
    const moved = ex.status === 409 ? movedSchema.safeParse(parseJson(ex.text)) : undefined;
    if (moved?.success) {
      const refusal = targetMoved(this.describe(), moved.data.current ?? null, req.expectedFrom, [], ' (the receiver answered 409)');
      return { ...refusal, message: this.redact(refusal.message) };
    }
    if (ex.status < 200 || ex.status > 299) {
      const where = ex.status >= 300 && ex.status < 400 && ex.location ? ` (redirect to ${safeUrl(ex.location)} not followed)` : '';
      return {
        ok: false,
        retryable: isRetryableStatus(ex.status),
        message: this.redact(`webhook answered ${this.statusLine(ex)}${where}: ${this.targetMessage(ex.text)}`),
      };
    }
    const accepted = acceptedSchema.safeParse(parseJson(ex.text));
    const answer = accepted.success ? accepted.data : {};
    if (answer.version !== undefined && answer.version !== req.to) {
      // The receiver says it is serving something else: never report that as a rollback to `to`.
      return { ok: false, retryable: false, message: this.redact(`webhook answered ${ex.status} but reports version ${answer.version}, not ${req.to}`) };
    }
    const alreadyApplied = answer.alreadyApplied === true || ex.replayed;
    const detail = `webhook answered ${ex.status}: ${answer.detail ?? (alreadyApplied ? 'already applied' : 'accepted')} (${this.opts.service} → ${req.to})`;
    return { ok: true, version: req.to, detail: this.redact(detail), alreadyApplied };
  }

  private async currentOrNull(): Promise<string | null> {
    try {
      return (await this.versions()).current;
    } catch {
      return null;
    }
  }

  private async send(method: 'GET' | 'POST', url: string, body: string, extra: Record<string, string>): Promise<Exchange> {
    const ts = String(Math.floor(this.clock.now().getTime() / 1000));
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    const headers: Record<string, string> = {
      ...extra,
      'X-Backstop-Timestamp': ts,
      'X-Backstop-Signature': signWebhook(this.opts.secret, ts, body),
    };
    if (method === 'POST') headers['Content-Type'] = 'application/json';
    try {
      // Redirects are not followed: a signed request must not be replayed to another host.
      const res = await fetch(url, { method, headers, body: method === 'POST' ? body : undefined, signal, redirect: 'manual' });
      const text = await res.text();
      return {
        kind: 'response',
        status: res.status,
        statusText: res.statusText,
        text,
        replayed: res.headers.get('idempotent-replayed') === 'true',
        location: res.headers.get('location'),
      };
    } catch (err) {
      if (signal.aborted) {
        return { kind: 'failed', message: `${safeUrl(url)} did not answer within ${this.opts.timeoutMs} ms` };
      }
      return { kind: 'failed', message: `request to ${safeUrl(url)} failed: ${causeOf(err)}` };
    }
  }

  private statusLine(ex: { status: number; statusText: string }): string {
    return ex.statusText ? `${ex.status} ${ex.statusText}` : String(ex.status);
  }

  /** The receiver's own words: `{message}` or `{error}` when JSON, else the start of the body. */
  private targetMessage(text: string): string {
    const parsed = errorBodySchema.safeParse(parseJson(text));
    return clip(parsed.success ? parsed.data : text);
  }
}
