/**
 * The emulator's Socket Mode server speaks Slack's protocol, seen from a plain WebSocket client:
 * which token opens a connection, hello, envelopes and their acks, redelivery, disconnect.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SlackEmulator } from '../../src/sandbox/slack-emulator.js';

let emu: SlackEmulator;
beforeEach(async () => {
  emu = new SlackEmulator({ socketAckTimeoutMs: 200 });
  await emu.start();
});
afterEach(async () => {
  await emu.stop();
});

async function open(token: string): Promise<{ ok: boolean; url?: string; error?: string }> {
  const res = await fetch(`${emu.url}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as { ok: boolean; url?: string; error?: string };
}

/** A connected client and every message it received, parsed. */
async function connect(): Promise<{ ws: WebSocket; received: Record<string, unknown>[] }> {
  const { url } = await open(emu.appToken);
  const ws = new WebSocket(url!);
  const received: Record<string, unknown>[] = [];
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await emu.waitFor(() => received.some((m) => m.type === 'hello'), 2000, 'hello');
  return { ws, received };
}

const commandBody = new URLSearchParams({ command: '/backstop', text: 'status', user_id: 'U0ALICE', channel_id: 'C0X', team_id: 'T0BACKSTOP' }).toString();

describe('Socket Mode in the Slack emulator', () => {
  it('opens a connection only with the app-level token; a bot token gets not_allowed_token_type', async () => {
    const good = await open(emu.appToken);
    expect(good.ok).toBe(true);
    expect(good.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
    expect(await open(emu.botToken)).toMatchObject({ ok: false, error: 'not_allowed_token_type' });
    expect(await open('xapp-1-someone-else')).toMatchObject({ ok: false, error: 'invalid_auth' });
    // …and the app-level token is no bot token.
    const post = await fetch(`${emu.url}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${emu.appToken}`, 'content-type': 'application/json' }, body: '{"channel":"C0X","text":"hi"}' });
    expect(await post.json()).toMatchObject({ ok: false, error: 'not_allowed_token_type' });
  });

  it('says hello with the app id, and a ticket works once', async () => {
    const { url } = await open(emu.appToken);
    const ws = new WebSocket(url!);
    const hello = await new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)));
    expect(hello).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: emu.appId } });
    const again = new WebSocket(url!);
    const refused = await new Promise<number>((resolve) => again.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(refused).toBe(401);
    ws.close();
  });

  it('delivers an envelope and takes an ack with its envelope_id and payload', async () => {
    const { ws, received } = await connect();
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { envelope_id?: string };
      if (m.envelope_id) ws.send(JSON.stringify({ envelope_id: m.envelope_id, payload: { text: 'all quiet' } }));
    });
    const delivery = await emu.deliverOverSocket(commandBody);
    expect(delivery).toMatchObject({ acked: true, attempts: 1, type: 'slash_commands', response: { text: 'all quiet' } });
    const envelope = received.find((m) => m.envelope_id === delivery.envelopeId)!;
    expect(envelope).toMatchObject({ type: 'slash_commands', accepts_response_payload: true, retry_attempt: 0, retry_reason: '', payload: { command: '/backstop', text: 'status' } });
    ws.close();
  });

  it('redelivers an unacknowledged envelope with retry_attempt + 1, and a dropped ack counts as none', async () => {
    const { ws, received } = await connect();
    let seen = 0;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { envelope_id?: string };
      if (m.envelope_id && ++seen >= 2) ws.send(JSON.stringify({ envelope_id: m.envelope_id }));
    });
    const click = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, actions: [] }) }).toString();
    const first = await emu.deliverOverSocket(click);
    expect(first).toMatchObject({ acked: true, attempts: 2, type: 'interactive' });
    expect(received.filter((m) => m.envelope_id === first.envelopeId).map((m) => [m.retry_attempt, m.retry_reason])).toEqual([[0, ''], [1, 'timeout']]);
    emu.dropNextSocketAcks(1);
    const second = await emu.deliverOverSocket(click);
    expect(second.attempts).toBe(2);
    expect(emu.socketEvents.filter((e) => e.kind === 'ack_dropped')).toHaveLength(1);
    ws.close();
  });

  it('gives up after three redeliveries, as Slack does', async () => {
    const { ws } = await connect();
    const delivery = await emu.deliverOverSocket(commandBody);
    expect(delivery).toMatchObject({ acked: false, attempts: 4 });
    ws.close();
  });

  it('asks every connection to reconnect with disconnect and a reason', async () => {
    const { ws, received } = await connect();
    expect(emu.disconnectSockets('warning')).toBe(1);
    await emu.waitFor(() => received.find((m) => m.type === 'disconnect'), 2000, 'disconnect');
    expect(received.find((m) => m.type === 'disconnect')).toMatchObject({ reason: 'warning' });
    ws.close();
    await emu.waitFor(() => emu.socketConnections === 0, 2000, 'closed');
  });
});
