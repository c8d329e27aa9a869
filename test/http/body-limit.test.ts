/**
 * A body over the limit is refused with 413 at once and the connection closed, so a client
 * that keeps connections alive is neither left waiting nor sends its next request into the
 * rest of a body nobody reads.
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../src/http/limits.js';
import { alertmanagerFiring } from '../reliability/endpoints.js';
import { AM_TOKEN, startFixture, type Fixture } from '../support/bot-fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.bot.settled();
  await fx?.stop();
});

interface Exchange {
  text: string;
  /** Whether the server closed the connection (rather than our deadline cutting it). */
  closedByServer: boolean;
  ms: number;
}

/** Writes raw bytes on one connection and collects everything the server sends until it closes. */
function exchange(parts: (string | Buffer)[], deadlineMs = 5_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(fx.bot.port, '127.0.0.1');
    let text = '';
    let finished = false;
    const finish = (closedByServer: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ text, closedByServer, ms: Date.now() - started });
    };
    const deadline = setTimeout(() => finish(false), deadlineMs);
    socket.on('data', (d) => { text += d.toString('latin1'); });
    socket.on('end', () => finish(true));
    // A reset after the server has answered and closed still counts as closing.
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
    });
  });
}

const head = (path: string, headers: Record<string, string | number>) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
const amHeaders = { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` };
const validAlert = () => JSON.stringify(alertmanagerFiring());
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

describe('bodies over the limit', () => {
  it('refuses a declared oversized body before it is sent, and closes the connection', async () => {
    const before = fx.rows();
    const r = await exchange([head('/alerts/alertmanager', { ...amHeaders, 'content-length': BODY_LIMIT + 1 })]);
    expect(statuses(r.text)).toEqual([413]);
    expect(r.text).toMatch(/^connection: close\r$/im);
    expect(r.text).toContain('"error":"too_large"');
    expect(r.closedByServer).toBe(true);
    expect(r.ms).toBeLessThan(2_000);
    expect(fx.rows()).toEqual(before);
  });

  it('answers the oversized request and closes, instead of hanging the request sent after it', async () => {
    const size = 3 * BODY_LIMIT;
    const body = validAlert();
    const r = await exchange([
      head('/alerts/alertmanager', { ...amHeaders, 'content-length': size }), Buffer.alloc(size, 0x20),
      head('/alerts/alertmanager', { ...amHeaders, 'content-length': Buffer.byteLength(body) }), body,
    ]);
    expect(statuses(r.text)).toEqual([413]);
    expect(r.closedByServer).toBe(true);
    expect(r.ms).toBeLessThan(2_000);
  });

  it('refuses a chunked body once it passes the limit, and closes the connection', async () => {
    const before = fx.rows();
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const chunks = Array.from({ length: Math.ceil((BODY_LIMIT * 1.5) / chunk.length) }, () => [`${chunk.length.toString(16)}\r\n`, chunk, '\r\n']).flat();
    const r = await exchange([head('/alerts/alertmanager', { ...amHeaders, 'transfer-encoding': 'chunked' }), ...chunks, '0\r\n\r\n']);
    expect(statuses(r.text)).toEqual([413]);
    expect(r.text).toMatch(/^connection: close\r$/im);
    expect(r.closedByServer).toBe(true);
    expect(fx.rows()).toEqual(before);
  });

  it('refuses `Expect: 100-continue` with an oversized length without asking for the body', async () => {
    const r = await exchange([head('/alerts/alertmanager', { ...amHeaders, 'content-length': BODY_LIMIT + 1, expect: '100-continue' })]);
    expect(statuses(r.text)).toEqual([413]);
    expect(r.closedByServer).toBe(true);
  });

  it.each(['/alerts/generic', '/alerts/pagerduty', '/deploys', '/slack/events'])('%s closes the connection after its 413 too', async (path) => {
    const r = await exchange([head(path, { 'content-type': 'application/json', 'content-length': BODY_LIMIT + 1 })]);
    expect(statuses(r.text)).toEqual([413]);
    expect(r.closedByServer).toBe(true);
  });

  it('a keep-alive client gets its 413, then its next delivery through the same agent is accepted', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const post = (body: Buffer | string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${fx.bot.url}/alerts/alertmanager`, { method: 'POST', agent, headers: { ...amHeaders, 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect((await post(Buffer.alloc(2 * BODY_LIMIT, 0x20))).status).toBe(413);
      const ok = await post(validAlert());
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ ok: true });
    } finally {
      agent.destroy();
    }
  });

  it('a body at the limit is still read', async () => {
    const body = validAlert();
    const padded = body.replace(/}$/, `${' '.repeat(BODY_LIMIT - Buffer.byteLength(body))}}`);
    expect(Buffer.byteLength(padded)).toBe(BODY_LIMIT);
    const res = await fetch(`${fx.bot.url}/alerts/alertmanager`, { method: 'POST', headers: amHeaders, body: padded });
    expect(res.status).toBe(200);
  });
});
