/** Helpers shared by the adapters that talk to a target over the network. */

const MAX_MESSAGE = 300;

/** Timeouts, throttling and server errors may pass; every other status is the caller's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A target's words, on one line and short enough for Slack. */
export function clip(text: string, max = MAX_MESSAGE): string {
  const one = text.trim().replace(/\s+/g, ' ');
  if (!one) return '(empty body)';
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** The low-level reason a request failed (`ECONNREFUSED`, a TLS error), not undici's "fetch failed". */
export function causeOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = err.cause;
  if (typeof cause === 'object' && cause !== null) {
    if ('code' in cause && typeof cause.code === 'string') return cause.code;
    if ('message' in cause && typeof cause.message === 'string') return cause.message;
  }
  if ('code' in err && typeof err.code === 'string') return `${err.code}: ${err.message}`;
  return err.message;
}

/** Replaces every secret with `[redacted]`: a target that echoes its request must not leak it. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => list.reduce((t, s) => t.split(s).join('[redacted]'), text);
}

// URLs may carry credentials in userinfo or the query string; show only origin and path.
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

export type Poll = { state: 'done'; detail: string } | { state: 'waiting'; detail: string } | { state: 'failed'; retryable: boolean; detail: string };

/**
 * Checks until done, failed or the deadline passes, sleeping on the injected clock between
 * checks. Each check's detail goes to `progress` so a long rollout is visible while it runs.
 */
export async function pollUntil(
  clock: { now(): Date; sleep(ms: number): Promise<void> },
  opts: { deadlineMs: number; intervalMs: number; progress?: (line: string) => void },
  check: () => Promise<Poll>,
): Promise<Poll> {
  const end = clock.now().getTime() + opts.deadlineMs;
  let last = '';
  for (;;) {
    const p = await check();
    if (p.detail !== last) opts.progress?.(p.detail);
    last = p.detail;
    if (p.state !== 'waiting') return p;
    if (clock.now().getTime() >= end) return p;
    await clock.sleep(Math.max(1, Math.min(opts.intervalMs, end - clock.now().getTime())));
  }
}
