import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpWebhookAdapter, signWebhook, verifyWebhookSignature, type HttpWebhookOptions } from '../../src/adapters/http-webhook/adapter.js';
import type { ExecuteOutcome } from '../../src/ports/rollback-adapter.js';
import { FakeClock } from '../support/fake-clock.js';
import { describeRollbackAdapterContract } from './contract.js';
import { WebhookTarget } from './webhook-target.js';

const SECRET = 'whsec-7f3a9c1e-do-not-leak';

function makeAdapter(target: WebhookTarget, clock: FakeClock, over: Partial<HttpWebhookOptions> = {}): HttpWebhookAdapter {
  return new HttpWebhookAdapter({ service: 'fraud-scorer', url: target.url, secret: SECRET, timeoutMs: 2_000, versionsUrl: target.versionsUrl, ...over }, clock);
}

const req = { to: 'v41', expectedFrom: 'v42', idempotencyKey: 'prop-7', actor: 'U0APPROVER', reason: 'accuracy below 0.85' };

function expectNoSecret(value: unknown): void {
  expect(JSON.stringify(value)).not.toContain(SECRET);
}

describeRollbackAdapterContract('http-webhook', async () => {
  const target = await new WebhookTarget(SECRET, new Set(['v40', 'v41', 'v42']), { current: 'v42', lastGood: 'v41' }).start();
  return {
    adapter: makeAdapter(target, new FakeClock()),
    seeded: { current: 'v42', lastGood: 'v41' },
    unknownVersion: 'v999',
    serving: async () => target.current,
    moves: async () => target.moves,
    moveTarget: async () => {
      target.deploy('v43');
      return 'v43';
    },
    close: () => target.close(),
  };
});

describe('HttpWebhookAdapter', () => {
  let target: WebhookTarget;
  let clock: FakeClock;

  beforeEach(async () => {
    target = await new WebhookTarget(SECRET, new Set(['v40', 'v41', 'v42']), { current: 'v42', lastGood: 'v41' }).start();
    clock = new FakeClock('2025-03-01T12:00:00.000Z');
  });

  afterEach(async () => {
    await target.close();
  });

  it('posts a signed JSON request the receiver can verify', async () => {
    const out = await makeAdapter(target, clock).execute(req);
    expect(out).toMatchObject({ ok: true, version: 'v41', alreadyApplied: false });

    const [sent] = target.rollbackRequests;
    expect(sent).toBeDefined();
    if (!sent) return;
    expect(sent.method).toBe('POST');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['idempotency-key']).toBe('prop-7');
    expect(sent.headers['x-backstop-timestamp']).toBe(String(Date.parse('2025-03-01T12:00:00.000Z') / 1000));
    expect(sent.headers['x-backstop-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(sent.signatureValid).toBe(true);
    expect(JSON.parse(sent.body)).toEqual({
      service: 'fraud-scorer',
      from: 'v42',
      expectedFrom: 'v42',
      to: 'v41',
      idempotencyKey: 'prop-7',
      actor: 'U0APPROVER',
      reason: 'accuracy below 0.85',
      requestedAt: '2025-03-01T12:00:00.000Z',
    });
    expectNoSecret(sent.headers);
    expectNoSecret(sent.body);
  });

  it('signs the versions request too, so a receiver can keep it private', async () => {
    await makeAdapter(target, clock).versions();
    expect(target.requests.find((r) => r.path === '/versions')?.signatureValid).toBe(true);
  });

  it.each([500, 502, 503, 408, 429])('classifies HTTP %i as retryable and passes on the target message', async (status) => {
    target.mode = { kind: 'answer', status, body: JSON.stringify({ message: 'deploy queue is full' }) };
    const out = await makeAdapter(target, clock, { versionsUrl: undefined }).execute(req);
    expect(out).toMatchObject({ ok: false, retryable: true });
    if (!out.ok) {
      expect(out.message).toContain(String(status));
      expect(out.message).toContain('deploy queue is full');
    }
  });

  it.each([400, 401, 403, 404, 409, 422])('classifies HTTP %i as not retryable', async (status) => {
    target.mode = { kind: 'answer', status, body: `plain text refusal ${status}` };
    const out = await makeAdapter(target, clock, { versionsUrl: undefined }).execute(req);
    expect(out).toMatchObject({ ok: false, retryable: false });
    if (!out.ok) expect(out.message).toContain(`plain text refusal ${status}`);
    // Only the documented body makes a 409 a "target moved" refusal.
    expect(out).not.toHaveProperty('code');
  });

  describe('a target that moved since the proposal', () => {
    it('is refused before anything is sent when the versions endpoint shows it', async () => {
      target.deploy('v43');
      const out = await makeAdapter(target, clock).execute(req);
      expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: 'v43' });
      expect(target.rollbackRequests).toHaveLength(0);
      expect(target.current).toBe('v43');
    });

    it('is refused by the receiver (409 target_moved) when Backstop cannot read the version itself', async () => {
      target.deploy('v43');
      const out = await makeAdapter(target, clock, { versionsUrl: undefined }).execute(req);
      expect(out).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: 'v43' });
      if (!out.ok) expect(out.message).toMatch(/now serves v43, not v42 as approved; nothing was changed/);
      expect(JSON.parse(target.rollbackRequests[0]?.body ?? '{}')).toMatchObject({ from: null, expectedFrom: 'v42', to: 'v41' });
      expect(target.current).toBe('v43');
      expect(target.moves).toBe(0);
    });

    it('still answers a replay of an applied key as already applied', async () => {
      const adapter = makeAdapter(target, clock, { versionsUrl: undefined });
      expect(await adapter.execute(req)).toMatchObject({ ok: true, alreadyApplied: false });
      expect(await adapter.execute(req)).toMatchObject({ ok: true, alreadyApplied: true });
      expect(target.moves).toBe(1);
    });
  });

  it('never claims to have confirmed the version without a versionsUrl, even after a 2xx', async () => {
    const adapter = makeAdapter(target, clock, { versionsUrl: undefined });
    expect(await adapter.execute(req)).toMatchObject({ ok: true });
    expect(await adapter.readBack('v41')).toEqual({ confirmed: false, canConfirm: false, version: null, detail: expect.stringContaining('cannot report its version') });
    expect(target.requests).toHaveLength(1);
  });

  it('gives up after the timeout and reports it as retryable', async () => {
    target.mode = { kind: 'hang' };
    const started = performance.now();
    const out = await makeAdapter(target, clock, { timeoutMs: 200, versionsUrl: undefined }).execute(req);
    const elapsed = performance.now() - started;
    expect(out).toMatchObject({ ok: false, retryable: true });
    if (!out.ok) expect(out.message).toContain('did not answer within 200 ms');
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('reports a refused connection as retryable', async () => {
    const url = target.url;
    await target.close();
    const out = await new HttpWebhookAdapter({ service: 'fraud-scorer', url, secret: SECRET, timeoutMs: 1_000 }, clock).execute(req);
    expect(out).toMatchObject({ ok: false, retryable: true });
    if (!out.ok) expect(out.message).toMatch(/ECONNREFUSED/);
  });

  it('never puts the secret in a returned message, even when the target echoes it', async () => {
    target.mode = { kind: 'answer', status: 500, body: JSON.stringify({ message: `signature check failed with secret ${SECRET}` }) };
    const outcomes: ExecuteOutcome[] = [await makeAdapter(target, clock).execute(req)];
    target.mode = { kind: 'hang' };
    outcomes.push(await makeAdapter(target, clock, { timeoutMs: 100, versionsUrl: undefined }).execute(req));
    target.mode = { kind: 'answer', status: 200, body: JSON.stringify({ detail: `ok ${SECRET}` }) };
    outcomes.push(await makeAdapter(target, clock).execute(req));

    expect(outcomes[0]).toMatchObject({ ok: false, message: expect.stringContaining('[redacted]') });
    for (const out of outcomes) expectNoSecret(out);
    const failing = makeAdapter(target, clock);
    target.mode = { kind: 'answer', status: 500, body: SECRET };
    await expect(failing.versions()).rejects.toThrow(/versions endpoint .* answered 500/);
    await failing.versions().catch((e: unknown) => expectNoSecret(e instanceof Error ? e.message : e));
  });

  it('treats an empty 2xx body as success at the requested version', async () => {
    target.mode = { kind: 'answer', status: 202 };
    const out = await makeAdapter(target, clock, { versionsUrl: undefined }).execute(req);
    expect(out).toMatchObject({ ok: true, version: 'v41', alreadyApplied: false });
  });

  it('takes an Idempotent-Replayed header as already applied', async () => {
    target.mode = { kind: 'answer', status: 200, body: '', headers: { 'Idempotent-Replayed': 'true' } };
    const out = await makeAdapter(target, clock, { versionsUrl: undefined }).execute(req);
    expect(out).toMatchObject({ ok: true, alreadyApplied: true });
  });

  it('does not report success when the target says it serves another version', async () => {
    target.mode = { kind: 'answer', status: 200, body: JSON.stringify({ version: 'v42' }) };
    const out = await makeAdapter(target, clock, { versionsUrl: undefined }).execute(req);
    expect(out).toMatchObject({ ok: false, retryable: false });
  });

  it('does not follow redirects with a signed request', async () => {
    const other = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    let hits = 0;
    other.on('request', () => hits++);
    const elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}/steal`;
    try {
      target.mode = { kind: 'answer', status: 307, headers: { Location: elsewhere } };
      const out = await makeAdapter(target, clock, { versionsUrl: undefined }).execute(req);
      expect(out).toMatchObject({ ok: false, retryable: false });
      expect(hits).toBe(0);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  describe('versions()', () => {
    it('returns nulls when no versionsUrl is configured, without a request', async () => {
      expect(await makeAdapter(target, clock, { versionsUrl: undefined }).versions()).toEqual({ current: null, lastGood: null, deployedAt: null });
      expect(target.requests).toHaveLength(0);
    });

    it('reads current, lastGood and deployedAt from the versions endpoint', async () => {
      expect(await makeAdapter(target, clock).versions()).toEqual({ current: 'v42', lastGood: 'v41', deployedAt: new Date('2025-03-01T11:00:00.000Z') });
    });

    it('rejects a body of the wrong shape with a message that says what was expected', async () => {
      target.mode = { kind: 'answer', status: 200, body: JSON.stringify({ current: 42 }) };
      await expect(makeAdapter(target, clock).versions()).rejects.toThrow(/want \{current, lastGood, deployedAt\?\}.*current/);
    });

    it('plans with an unknown "from" when the versions endpoint is down, and sends nothing', async () => {
      target.mode = { kind: 'answer', status: 503 };
      const plan = await makeAdapter(target, clock).plan('v41');
      expect(plan).toMatchObject({ from: null, to: 'v41' });
      expect(target.rollbackRequests).toHaveLength(0);
    });
  });

  it('describes the target without the query string or credentials', () => {
    const adapter = new HttpWebhookAdapter({ service: 'fraud-scorer', url: 'https://user:pw@deploy.example.com/hooks/rollback?token=abc', secret: SECRET, timeoutMs: 1_000 }, clock);
    expect(adapter.describe()).toBe('http-webhook service fraud-scorer at https://deploy.example.com/hooks/rollback');
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"to":"v41"}';
  const ts = 1_740_830_400;
  const header = signWebhook(SECRET, ts, body);

  it('accepts the signature Backstop sends', () => {
    expect(verifyWebhookSignature(SECRET, String(ts), body, header)).toBe(true);
    expect(verifyWebhookSignature(SECRET, ts, Buffer.from(body), header)).toBe(true);
  });

  it('refuses a tampered body, another secret, another timestamp or a malformed header', () => {
    expect(verifyWebhookSignature(SECRET, ts, '{"to":"v40"}', header)).toBe(false);
    expect(verifyWebhookSignature('other-secret', ts, body, header)).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts + 1, body, header)).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, body, header.replace('v1=', 'v0='))).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, body, 'v1=abc')).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, body, undefined)).toBe(false);
    expect(verifyWebhookSignature(SECRET, 'not-a-number', body, header)).toBe(false);
  });

  it('refuses a stale timestamp when given the time', () => {
    const now = new Date((ts + 301) * 1000);
    expect(verifyWebhookSignature(SECRET, ts, body, header, { now })).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, body, header, { now, toleranceSeconds: 600 })).toBe(true);
  });

  it('accepts any of several signatures, for secret rotation', () => {
    const rotated = `${signWebhook('old-secret', ts, body)}, ${header}`;
    expect(verifyWebhookSignature(SECRET, ts, body, rotated)).toBe(true);
  });
});
