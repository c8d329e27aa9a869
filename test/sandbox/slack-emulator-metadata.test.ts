/**
 * Message metadata in the emulator, as Slack has it: `chat.postMessage` stores `metadata`
 * ({ event_type, event_payload }), and `conversations.history` / `.replies` return it on the
 * message only with `include_all_metadata`. And the Chat port's `findPosted` over it, which the
 * outbox uses to tell whether a message it was sending when it died reached Slack.
 */
import { LogLevel } from '@slack/bolt';
import { ErrorCode, WebClient, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outboxMetadata } from '../../src/ports/chat.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator.js';
import { SlackChat } from '../../src/slack/chat.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

let emu: SlackEmulator;
let client: WebClient;
let ops: string;
beforeEach(async () => {
  emu = new SlackEmulator();
  const { url } = await emu.start();
  ops = emu.addChannel({ name: 'ops' }).id;
  client = new WebClient(emu.botToken, { slackApiUrl: url, retryConfig: { retries: 0 }, logger: silent });
});
afterEach(async () => {
  await emu.stop();
});

async function slackError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = err as WebAPIPlatformError;
    if (e.code !== ErrorCode.PlatformError) throw err;
    return e.data.error;
  }
  throw new Error('expected the call to fail');
}

const meta = { event_type: 'backstop_outbox', event_payload: { outbox_id: 7 } };

describe('SlackEmulator: message metadata', () => {
  it('stores metadata on chat.postMessage and returns it from history only with include_all_metadata', async () => {
    const posted = await client.chat.postMessage({ channel: ops, text: 'hello', metadata: meta });
    expect(posted.message?.metadata).toEqual(meta);
    expect(emu.messages(ops)[0]?.metadata).toEqual(meta);

    const plain = await client.conversations.history({ channel: ops });
    expect(plain.messages?.[0]).not.toHaveProperty('metadata');
    const withMeta = await client.conversations.history({ channel: ops, include_all_metadata: true });
    expect(withMeta.messages?.[0]).toMatchObject({ ts: posted.ts, text: 'hello', metadata: meta });
  });

  it('returns replies’ metadata from conversations.replies with include_all_metadata', async () => {
    const parent = await client.chat.postMessage({ channel: ops, text: 'parent' });
    await client.chat.postMessage({ channel: ops, text: 'reply', thread_ts: parent.ts, metadata: meta });
    const plain = await client.conversations.replies({ channel: ops, ts: parent.ts! });
    expect(plain.messages?.map((m) => m.metadata)).toEqual([undefined, undefined]);
    const withMeta = await client.conversations.replies({ channel: ops, ts: parent.ts!, include_all_metadata: true });
    expect(withMeta.messages?.map((m) => m.metadata)).toEqual([undefined, meta]);
    // What the emulator keeps is a copy: the stored thread is not changed by a listing.
    expect(emu.thread(ops, parent.ts!)[1]?.metadata).toEqual(meta);
  });

  it('refuses metadata that is not JSON, or lacks event_type or event_payload', async () => {
    expect(await slackError(client.apiCall('chat.postMessage', { channel: ops, text: 'x', metadata: '{nope' }))).toBe('invalid_metadata_format');
    expect(await slackError(client.apiCall('chat.postMessage', { channel: ops, text: 'x', metadata: JSON.stringify({ event_payload: {} }) }))).toBe('invalid_metadata_schema');
    expect(await slackError(client.apiCall('chat.postMessage', { channel: ops, text: 'x', metadata: JSON.stringify({ event_type: 't', event_payload: 3 }) }))).toBe('invalid_metadata_schema');
    expect(emu.messages(ops)).toEqual([]);
  });
});

describe('SlackChat.findPosted over the emulator', () => {
  it('finds a top-level message by its outbox id, and nothing for an id never posted', async () => {
    const chat = new SlackChat(client);
    await chat.post({ channel: ops, text: 'other', metadata: outboxMetadata(1) });
    const posted = await chat.post({ channel: ops, text: 'mine', metadata: outboxMetadata(2) });
    await chat.post({ channel: ops, text: 'untagged' });
    expect(await chat.findPosted(ops, undefined, 2)).toEqual({ ts: posted.ts });
    expect(await chat.findPosted(ops, undefined, 3)).toBeUndefined();
    const calls = emu.calls.filter((c) => c.method === 'conversations.history');
    expect(calls.at(-1)?.args).toMatchObject({ include_all_metadata: 'true' });
  });

  it('finds a reply in its thread only, not a top-level message or another thread', async () => {
    const chat = new SlackChat(client);
    const parent = await chat.post({ channel: ops, text: 'proposal' });
    const other = await chat.post({ channel: ops, text: 'other proposal' });
    const reply = await chat.post({ channel: ops, threadTs: parent.ts, text: 'step', metadata: outboxMetadata(5) });
    await chat.post({ channel: ops, threadTs: other.ts, text: 'step elsewhere', metadata: outboxMetadata(6) });
    expect(await chat.findPosted(ops, parent.ts, 5)).toEqual({ ts: reply.ts });
    expect(await chat.findPosted(ops, parent.ts, 6)).toBeUndefined();
    expect(await chat.findPosted(ops, undefined, 5)).toBeUndefined();
  });

  it('looks only at messages since the given time', async () => {
    const chat = new SlackChat(client);
    const posted = await chat.post({ channel: ops, text: 'old', metadata: outboxMetadata(9) });
    const postedAt = new Date(Number(posted.ts) * 1000);
    expect(await chat.findPosted(ops, undefined, 9, { since: new Date(postedAt.getTime() - 60_000) })).toEqual({ ts: posted.ts });
    expect(await chat.findPosted(ops, undefined, 9, { since: new Date(postedAt.getTime() + 60_000) })).toBeUndefined();
  });

  it('pages through a busy channel', async () => {
    const chat = new SlackChat(client);
    const posted = await chat.post({ channel: ops, text: 'early', metadata: outboxMetadata(11) });
    for (let i = 0; i < 250; i++) await client.chat.postMessage({ channel: ops, text: `chatter ${i}` });
    expect(await chat.findPosted(ops, undefined, 11)).toEqual({ ts: posted.ts });
    expect(emu.calls.filter((c) => c.method === 'conversations.history')).toHaveLength(2);
  });
});
