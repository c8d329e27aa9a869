/**
 * Idle keep-alive connections outlive the clients' own idle timeouts, so a client never sends
 * on a connection the bot is closing (Node's default of 5 s did, under Alertmanager).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** Alertmanager and Prometheus keep idle connections 5 minutes (prometheus/common); Go's default is 90 s. */
const LONGEST_CLIENT_IDLE_MS = 5 * 60_000;

describe('HTTP server timeouts', () => {
  it('keeps idle connections open longer than Alertmanager does, and says so', async () => {
    const { server } = fx.bot;
    expect(server.keepAliveTimeout).toBeGreaterThan(LONGEST_CLIENT_IDLE_MS);
    const res = await fetch(`${fx.bot.url}/healthz`);
    expect(res.headers.get('keep-alive')).toBe(`timeout=${Math.floor(server.keepAliveTimeout / 1000)}`);
  });

  it('still cuts off clients that trickle headers or bodies', () => {
    const { server } = fx.bot;
    expect(server.headersTimeout).toBeGreaterThan(0);
    expect(server.headersTimeout).toBeLessThanOrEqual(30_000);
    expect(server.requestTimeout).toBeGreaterThanOrEqual(server.headersTimeout);
    expect(server.requestTimeout).toBeLessThanOrEqual(120_000);
  });

  it('a connection idle for longer than Node\'s default (5 s, closed at 6 s) still carries the next delivery', async () => {
    const body = JSON.stringify(alertmanagerFiring());
    const delivery = `POST /alerts/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${AM_TOKEN}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const socket = connect(fx.bot.port, '127.0.0.1');
    try {
      let text = '';
      let closed = false;
      socket.on('data', (d) => { text += d.toString(); });
      socket.on('close', () => { closed = true; });
      socket.on('error', () => { closed = true; });
      const responses = () => text.match(/HTTP\/1\.1 200 /g)?.length ?? 0;
      const until = async (ok: () => boolean) => {
        for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      };
      socket.write(delivery);
      await until(() => responses() === 1);
      await new Promise((r) => setTimeout(r, 7_000));
      expect(closed).toBe(false);
      socket.write(delivery);
      await until(() => responses() === 2);
      expect(responses()).toBe(2);
    } finally {
      socket.destroy();
    }
  }, 20_000);
});
