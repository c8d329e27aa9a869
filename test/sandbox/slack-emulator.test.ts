import { App, LogLevel } from '@slack/bolt';
import { ErrorCode, WebClient, type ConversationsListResponse, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackEmulator, type SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { buildBlockActionsBody, buildSlashCommandBody, SLACK_FORM_CONTENT_TYPE, signSlackRequest, slackFormHeaders } from '../../src/slack/signing.js';

const SIGNING_SECRET = 'test-signing-secret';

interface World {
  emu: SlackEmulator;
  url: string;
  client: WebClient;
  alice: string;
  bob: string;
  carol: string;
  ops: string;
}

/** WebClient logs response_metadata errors; the tests assert on them instead. */
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

function webClient(url: string, token: string | undefined, rejectRateLimitedCalls = false): WebClient {
  return new WebClient(token, { slackApiUrl: url, retryConfig: { retries: 0 }, rejectRateLimitedCalls, logger: silent });
}

/** Resolves with the Slack error code a call fails with. */
async function slackError(call: Promise<unknown>): Promise<{ error: string; data: WebAPIPlatformError['data'] }> {
  try {
    await call;
  } catch (err) {
    const e = err as WebAPIPlatformError;
    if (e.code !== ErrorCode.PlatformError) throw err;
    return { error: e.data.error, data: e.data };
  }
  throw new Error('expected the call to fail');
}

let world: World;

beforeEach(async () => {
  const emu = new SlackEmulator();
  const { url } = await emu.start();
  const alice = emu.addUser({ name: 'alice', real_name: 'Alice Ops', email: 'alice@example.com' }).id;
  const bob = emu.addUser({ name: 'bob', email: 'bob@example.com' }).id;
  const carol = emu.addUser({ name: 'carol' }).id;
  const ops = emu.addChannel({ name: 'ops', members: [alice, bob] }).id;
  world = { emu, url, client: webClient(url, emu.botToken), alice, bob, carol, ops };
});

afterEach(async () => {
  await world.emu.stop();
});

describe('SlackEmulator: auth', () => {
  it('answers auth.test with the bot identity', async () => {
    const { emu, client } = world;
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: emu.teamId, user_id: emu.botUserId, bot_id: emu.botId, user: emu.botName });
  });

  it('refuses a request without a token (not_authed) and with a wrong one (invalid_auth)', async () => {
    const { url } = world;
    expect((await slackError(webClient(url, undefined).auth.test())).error).toBe('not_authed');
    expect((await slackError(webClient(url, 'xoxb-wrong').chat.postMessage({ channel: world.ops, text: 'hi' }))).error).toBe('invalid_auth');
    expect(world.emu.messages(world.ops)).toEqual([]);
  });

  it('answers unknown_method for a method it does not know', async () => {
    expect((await slackError(world.client.apiCall('chat.flyToTheMoon', {}))).error).toBe('unknown_method');
  });

  it('accepts JSON bodies with a bearer token, as Slack does', async () => {
    const { emu, url, ops } = world;
    const res = await fetch(`${url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${emu.botToken}` },
      body: JSON.stringify({ channel: ops, text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: ops });
    expect(emu.messages(ops)[0]).toMatchObject({ text: 'json', blocks: [{ type: 'divider' }] });
  });
});

describe('SlackEmulator: chat.postMessage', () => {
  it('posts, answers {ok, channel, ts, message} and records the message', async () => {
    const { emu, client, ops } = world;
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Rollback?*' } }];
    const res = await client.chat.postMessage({ channel: ops, text: 'Rollback?', blocks });
    expect(res.ok).toBe(true);
    expect(res.channel).toBe(ops);
    expect(res.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(res.message).toMatchObject({ type: 'message', text: 'Rollback?', bot_id: emu.botId, user: emu.botUserId, ts: res.ts });
    // Slack fills in a block_id for every block that lacks one.
    expect(res.message?.blocks?.[0]).toMatchObject({ type: 'section', block_id: expect.any(String) });
    expect(emu.messages(ops)).toHaveLength(1);
    expect(emu.calls.map((c) => c.method)).toEqual(['chat.postMessage']);
    expect(emu.calls[0]?.args).toMatchObject({ channel: ops, blocks });
  });

  it('gives strictly increasing timestamps even when the clock stands still', async () => {
    const emu = new SlackEmulator({ clock: { now: () => new Date('2030-01-01T00:00:00Z') } });
    const { url } = await emu.start();
    try {
      const ch = emu.addChannel({ name: 'frozen' }).id;
      const client = webClient(url, emu.botToken);
      const a = await client.chat.postMessage({ channel: ch, text: 'a' });
      const b = await client.chat.postMessage({ channel: ch, text: 'b' });
      expect(a.ts).toBe('1893456000.000000');
      expect(b.ts).toBe('1893456000.000001');
    } finally {
      await emu.stop();
    }
  });

  it('refuses unknown channels, missing text and text over 40000 characters', async () => {
    const { client, ops } = world;
    expect((await slackError(client.chat.postMessage({ channel: 'C404', text: 'hi' }))).error).toBe('channel_not_found');
    expect((await slackError(client.chat.postMessage({ channel: ops, text: '' }))).error).toBe('no_text');
    expect((await slackError(client.chat.postMessage({ channel: ops, text: 'x'.repeat(40_001) }))).error).toBe('msg_too_long');
    await client.chat.postMessage({ channel: ops, text: 'x'.repeat(40_000) });
  });

  it('refuses invalid blocks with invalid_blocks and the json-pointer in response_metadata.messages', async () => {
    const { emu, client, ops } = world;
    const { error, data } = await slackError(
      client.chat.postMessage({ channel: ops, text: 'fallback', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }),
    );
    expect(error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toEqual(['[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]']);
    expect(emu.messages(ops)).toEqual([]);
  });

  it('refuses a message of 51 blocks', async () => {
    const { client, ops } = world;
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    const { error, data } = await slackError(client.chat.postMessage({ channel: ops, text: 'many', blocks }));
    expect(error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toEqual(['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
  });

  it('refuses blocks that are not JSON with invalid_blocks_format', async () => {
    const { client, ops } = world;
    expect((await slackError(client.apiCall('chat.postMessage', { channel: ops, text: 'x', blocks: '[{' }))).error).toBe('invalid_blocks_format');
  });

  it('threads replies under the parent and refuses an unknown thread_ts', async () => {
    const { emu, client, ops, alice } = world;
    const parent = await client.chat.postMessage({ channel: ops, text: 'parent' });
    const reply = await client.chat.postMessage({ channel: ops, text: 'reply 1', thread_ts: parent.ts });
    emu.addMessage(ops, { user: alice, text: 'human reply', thread_ts: parent.ts! });
    await client.chat.postMessage({ channel: ops, text: 'reply 2', thread_ts: reply.ts }); // a reply's ts lands in the same thread
    expect(reply.message).toMatchObject({ thread_ts: parent.ts, parent_user_id: emu.botUserId });

    const thread = emu.thread(ops, parent.ts!);
    expect(thread.map((m) => m.text)).toEqual(['parent', 'reply 1', 'human reply', 'reply 2']);
    expect(thread[0]).toMatchObject({ reply_count: 3, reply_users_count: 2 });

    const replies = await client.conversations.replies({ channel: ops, ts: parent.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(['parent', 'reply 1', 'human reply', 'reply 2']);
    const history = await client.conversations.history({ channel: ops });
    expect(history.messages?.map((m) => m.text)).toEqual(['parent']);

    expect((await slackError(client.chat.postMessage({ channel: ops, text: 'orphan', thread_ts: '1234567890.000001' }))).error).toBe('thread_not_found');
    expect((await slackError(client.conversations.replies({ channel: ops, ts: '1234567890.000001' }))).error).toBe('thread_not_found');
  });

  it('posts to a user id as a DM', async () => {
    const { emu, client, alice } = world;
    const res = await client.chat.postMessage({ channel: alice, text: 'psst' });
    expect(res.channel).toMatch(/^D/);
    expect(emu.channel(res.channel!)).toMatchObject({ is_im: true, user: alice });
  });

  it('refuses channels the bot is not in: not_in_channel for public, channel_not_found for private', async () => {
    const { emu, client } = world;
    const outside = emu.addChannel({ name: 'elsewhere', botMember: false }).id;
    const secret = emu.addChannel({ name: 'secret', is_private: true, botMember: false }).id;
    expect((await slackError(client.chat.postMessage({ channel: outside, text: 'hi' }))).error).toBe('not_in_channel');
    expect((await slackError(client.chat.postMessage({ channel: secret, text: 'hi' }))).error).toBe('channel_not_found');
    expect((await slackError(client.conversations.info({ channel: secret }))).error).toBe('channel_not_found');
  });
});

describe('SlackEmulator: chat.update', () => {
  it('updates the bot’s message, keeps blocks when only text changes, and marks it edited', async () => {
    const { emu, client, ops } = world;
    const posted = await client.chat.postMessage({ channel: ops, text: 'pending', blocks: [{ type: 'divider' }] });
    const res = await client.chat.update({ channel: ops, ts: posted.ts!, text: 'approved' });
    expect(res).toMatchObject({ ok: true, channel: ops, ts: posted.ts, text: 'approved' });
    const [stored] = emu.messages(ops);
    expect(stored).toMatchObject({ text: 'approved', blocks: [{ type: 'divider' }], edited: { user: emu.botUserId } });
  });

  it('refuses message_not_found and cant_update_message', async () => {
    const { emu, client, ops, alice } = world;
    expect((await slackError(client.chat.update({ channel: ops, ts: '1.000001', text: 'x' }))).error).toBe('message_not_found');
    const human = emu.addMessage(ops, { user: alice, text: 'mine' });
    expect((await slackError(client.chat.update({ channel: ops, ts: human.ts, text: 'x' }))).error).toBe('cant_update_message');
  });
});

describe('SlackEmulator: chat.postEphemeral', () => {
  it('records an ephemeral only for its user and keeps it out of history', async () => {
    const { emu, client, ops, alice, bob } = world;
    const res = await client.chat.postEphemeral({ channel: ops, user: alice, text: 'only you can approve this' });
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(emu.ephemerals(alice)).toEqual([expect.objectContaining({ channel: ops, user: alice, text: 'only you can approve this', via: 'chat.postEphemeral' })]);
    expect(emu.ephemerals(bob)).toEqual([]);
    expect(emu.messages(ops)).toEqual([]);
    expect((await client.conversations.history({ channel: ops })).messages).toEqual([]);
  });

  it('requires a user who is in the channel', async () => {
    const { client, ops, carol } = world;
    expect((await slackError(client.chat.postEphemeral({ channel: ops, user: 'U404', text: 'x' }))).error).toBe('user_not_found');
    expect((await slackError(client.chat.postEphemeral({ channel: ops, user: carol, text: 'x' }))).error).toBe('user_not_in_channel');
  });
});

describe('SlackEmulator: conversations', () => {
  it('creates channels under Slack’s name rules', async () => {
    const { emu, client } = world;
    const res = await client.conversations.create({ name: 'inc-42-checkout_rollback' });
    expect(res.channel).toMatchObject({ name: 'inc-42-checkout_rollback', is_channel: true, is_member: true, creator: emu.botUserId });
    expect(res.channel?.id).toMatch(/^C/);
    expect((await slackError(client.conversations.create({ name: 'inc-42-checkout_rollback' }))).error).toBe('name_taken');
    expect((await slackError(client.conversations.create({ name: 'ops' }))).error).toBe('name_taken');
    expect((await slackError(client.conversations.create({ name: 'Inc 42!' }))).error).toBe('invalid_name_specials');
    expect((await slackError(client.conversations.create({ name: 'x'.repeat(81) }))).error).toBe('invalid_name_maxlength');
    await client.conversations.create({ name: 'y'.repeat(80) });
  });

  it('invites users, and refuses unknown users and those already in', async () => {
    const { emu, client, alice, carol } = world;
    const created = await client.conversations.create({ name: 'inc-7' });
    const id = created.channel!.id!;
    await client.conversations.invite({ channel: id, users: `${alice},${carol}` });
    expect(emu.channel(id)?.members.sort()).toEqual([alice, carol, emu.botUserId].sort());
    expect((await slackError(client.conversations.invite({ channel: id, users: alice }))).error).toBe('already_in_channel');
    expect((await slackError(client.conversations.invite({ channel: id, users: 'U404' }))).error).toBe('user_not_found');
    expect((await slackError(client.conversations.invite({ channel: 'C404', users: alice }))).error).toBe('channel_not_found');
  });

  it('answers conversations.info and paginates conversations.list', async () => {
    const { emu, client, ops } = world;
    expect((await client.conversations.info({ channel: ops })).channel).toMatchObject({ id: ops, name: 'ops', is_member: true });
    for (const n of ['a', 'b', 'c']) emu.addChannel({ name: `list-${n}` });
    emu.addChannel({ name: 'hidden', is_private: true, botMember: false });
    const names: string[] = [];
    for await (const page of client.paginate('conversations.list', { limit: 2 })) {
      names.push(...((page as ConversationsListResponse).channels ?? []).map((c) => c.name ?? '?'));
    }
    expect(names).toEqual(['ops', 'list-a', 'list-b', 'list-c']);
  });
});

describe('SlackEmulator: users and user groups', () => {
  it('answers users.info with profile.email and user_not_found', async () => {
    const { client, alice } = world;
    const res = await client.users.info({ user: alice });
    expect(res.user).toMatchObject({ id: alice, name: 'alice', real_name: 'Alice Ops', profile: { email: 'alice@example.com' } });
    expect((await slackError(client.users.info({ user: 'U404' }))).error).toBe('user_not_found');
  });

  it('lists user group members and refuses an unknown group with no_such_subteam', async () => {
    const { emu, client, alice, bob } = world;
    const group = emu.addUsergroup({ handle: 'sre-leads', users: [alice, bob] });
    expect(group.id).toMatch(/^S/);
    expect((await client.usergroups.users.list({ usergroup: group.id })).users).toEqual([alice, bob]);
    expect((await slackError(client.usergroups.users.list({ usergroup: 'S404' }))).error).toBe('no_such_subteam');
  });

  it('answers plan_upgrade_required on a free plan', async () => {
    const emu = new SlackEmulator({ usergroupsEnabled: false });
    const { url } = await emu.start();
    try {
      expect((await slackError(webClient(url, emu.botToken).usergroups.users.list({ usergroup: 'S1' }))).error).toBe('plan_upgrade_required');
    } finally {
      await emu.stop();
    }
  });
});

describe('SlackEmulator: views.open', () => {
  const view = {
    type: 'modal' as const,
    callback_id: 'reject',
    title: { type: 'plain_text' as const, text: 'Reject rollback' },
    submit: { type: 'plain_text' as const, text: 'Reject' },
    blocks: [{ type: 'input' as const, block_id: 'reason', label: { type: 'plain_text' as const, text: 'Why?' }, element: { type: 'plain_text_input' as const, action_id: 'reason_input' } }],
  };

  it('opens a modal for a minted trigger id, once', async () => {
    const { emu, client, alice } = world;
    const trigger = emu.triggerId(alice);
    const res = await client.views.open({ trigger_id: trigger, view });
    expect(res.view).toMatchObject({ id: expect.stringMatching(/^V/), callback_id: 'reject', state: { values: {} } });
    expect(emu.views()).toEqual([expect.objectContaining({ trigger_id: trigger, user: alice })]);
    expect((await slackError(client.views.open({ trigger_id: trigger, view }))).error).toBe('trigger_exchanged');
    expect((await slackError(client.views.open({ trigger_id: '123.456.abc', view }))).error).toBe('invalid_trigger_id');
  });

  it('refuses a trigger id older than 3 seconds', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const emu = new SlackEmulator({ clock: { now: () => new Date(now) } });
    const { url } = await emu.start();
    try {
      const trigger = emu.triggerId();
      now += 3001;
      expect((await slackError(webClient(url, emu.botToken).views.open({ trigger_id: trigger, view }))).error).toBe('expired_trigger_id');
    } finally {
      await emu.stop();
    }
  });

  it('refuses an invalid view with invalid_arguments pointing into /view', async () => {
    const { emu, client } = world;
    const { error, data } = await slackError(client.views.open({ trigger_id: emu.triggerId(), view: { ...view, title: { type: 'plain_text', text: 'A title well over the limit' } } }));
    expect(error).toBe('invalid_arguments');
    expect(data.response_metadata?.messages).toEqual(['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']);
  });
});

describe('SlackEmulator: files.uploadV2', () => {
  it('runs getUploadURLExternal, the upload and completeUploadExternal into a thread', async () => {
    const { emu, client, ops } = world;
    const parent = await client.chat.postMessage({ channel: ops, text: 'incident' });
    const res = await client.files.uploadV2({ channel_id: ops, thread_ts: parent.ts!, content: 'timeline\nline 2', filename: 'timeline.txt', title: 'Timeline', initial_comment: 'postmortem draft' });
    expect(res.ok).toBe(true);
    expect(emu.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'file_upload', 'files.completeUploadExternal']);
    const [file] = emu.files();
    expect(file).toMatchObject({ filename: 'timeline.txt', title: 'Timeline', completed: true, channels: [ops] });
    expect(file?.content?.toString('utf8')).toBe('timeline\nline 2');
    expect(emu.thread(ops, parent.ts!).map((m) => m.text)).toEqual(['incident', 'postmortem draft']);
  });

  it('refuses to complete a file that was never uploaded', async () => {
    const { client } = world;
    const { file_id } = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    expect((await slackError(client.files.completeUploadExternal({ files: [{ id: file_id! }] }))).error).toBe('file_not_found');
  });
});

describe('SlackEmulator: fault injection', () => {
  it('answers 429 with Retry-After, surfacing as a rate-limited error when rejectRateLimitedCalls is set', async () => {
    const { emu, url, ops } = world;
    emu.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const client = webClient(url, emu.botToken, true);
    const err = await client.chat.postMessage({ channel: ops, text: 'hi' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
    expect(emu.calls[0]).toMatchObject({ method: 'chat.postMessage', status: 429, ok: false });
    // Only the next call fails.
    await client.chat.postMessage({ channel: ops, text: 'hi' });
    expect(emu.messages(ops)).toHaveLength(1);
  });

  it('answers HTTP 500 as an HTTP error and {error} as a platform error, `times` times', async () => {
    const { emu, client, ops } = world;
    emu.failNext('chat.postMessage', { status: 500 });
    expect(await client.chat.postMessage({ channel: ops, text: 'x' }).catch((e: unknown) => e)).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500 });
    emu.failNext('*', { error: 'ratelimited' }, 2);
    expect((await slackError(client.auth.test())).error).toBe('ratelimited');
    expect((await slackError(client.chat.postMessage({ channel: ops, text: 'x' }))).error).toBe('ratelimited');
    await client.auth.test();
  });
});

describe('SlackEmulator: response_url', () => {
  async function post(url: string, body: unknown): Promise<Response> {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  it('records an ephemeral by default, posts in_channel, and replaces the original', async () => {
    const { emu, client, ops, alice } = world;
    const original = await client.chat.postMessage({ channel: ops, text: 'pending approval' });
    const url = emu.responseUrl(ops, alice, { messageTs: original.ts! });
    expect((await post(url, { text: 'only for alice' })).status).toBe(200);
    expect(emu.ephemerals(alice).map((e) => [e.text, e.via])).toEqual([['only for alice', 'response_url']]);
    expect((await post(url, { text: 'for everyone', response_type: 'in_channel' })).status).toBe(200);
    expect((await post(url, { text: 'approved', replace_original: true })).status).toBe(200);
    expect(emu.messages(ops).map((m) => m.text)).toEqual(['approved', 'for everyone']);
  });

  it('refuses invalid blocks with 400 and stops after 5 uses', async () => {
    const { emu, ops, alice } = world;
    const url = emu.responseUrl(ops, alice);
    const bad = await post(url, { blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_blocks' });
    for (let i = 0; i < 5; i++) expect((await post(url, { text: `${i}` })).status).toBe(200);
    const sixth = await post(url, { text: 'sixth' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toMatchObject({ error: 'used_url' });
  });
});

describe('SlackEmulator: waitFor', () => {
  it('resolves with the first match once it appears', async () => {
    const { emu, client, ops } = world;
    const waiting = emu.waitFor((e) => e.messages(ops).find((m) => m.text === 'later'));
    setTimeout(() => void client.chat.postMessage({ channel: ops, text: 'later' }), 20);
    await expect(waiting).resolves.toMatchObject({ text: 'later' });
  });

  it('rejects on timeout with what it saw', async () => {
    const { emu, client, ops } = world;
    await client.chat.postMessage({ channel: ops, text: 'something else' });
    await expect(emu.waitFor((e) => e.messages(ops).find((m) => m.text === 'never'), 100, 'the never message')).rejects.toThrow(
      /waitFor\(the never message\) timed out after 100 ms[\s\S]*chat\.postMessage C\w+ → ok[\s\S]*"something else"/,
    );
  });

  it('emits change events', async () => {
    const { emu, client, ops } = world;
    const kinds: string[] = [];
    emu.on('change', (e) => kinds.push(e.kind));
    await client.chat.postMessage({ channel: ops, text: 'x' });
    expect(kinds).toEqual(['message', 'call']);
  });
});

describe('signing helpers against a real Bolt app', () => {
  let app: App;
  let endpoint: string;
  let seen: { actions: unknown[]; commands: unknown[] };

  beforeEach(async () => {
    const { emu, url } = world;
    seen = { actions: [], commands: [] };
    app = new App({
      signingSecret: SIGNING_SECRET,
      token: emu.botToken,
      botId: emu.botId,
      botUserId: emu.botUserId,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: url, retryConfig: { retries: 0 } },
    });
    app.action('approve', async ({ ack, body, respond, client }) => {
      await ack();
      seen.actions.push(body);
      if (body.type !== 'block_actions' || !body.channel || !body.message) return;
      await client.chat.update({ channel: body.channel.id, ts: body.message.ts, text: `approved by ${body.user.id}` });
      await respond({ text: 'Thanks, approval recorded.' });
    });
    app.command('/backstop', async ({ ack, command, respond }) => {
      await ack();
      seen.commands.push(command);
      await respond({ response_type: 'in_channel', text: `status for ${command.text}` });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterEach(async () => {
    await app.stop();
  });

  async function clickApprove(): Promise<{ body: string; message: SlackMessage }> {
    const { emu, client, ops, alice } = world;
    const posted = await client.chat.postMessage({
      channel: ops,
      text: 'Rollback proposal',
      blocks: [{ type: 'actions', block_id: 'decision', elements: [{ type: 'button', action_id: 'approve', style: 'primary', value: 'p-1', text: { type: 'plain_text', text: 'Approve' } }] }],
    });
    const [message] = emu.messages(ops);
    if (!message || message.ts !== posted.ts) throw new Error('message not stored');
    const body = buildBlockActionsBody({
      user: { id: alice, username: 'alice' },
      team: { id: emu.teamId, domain: emu.teamDomain },
      apiAppId: emu.appId,
      channel: { id: ops, name: 'ops' },
      message,
      actionId: 'approve',
      actionTs: '1893456000.123456',
      triggerId: emu.triggerId(alice),
      responseUrl: emu.responseUrl(ops, alice, { messageTs: message.ts }),
    });
    return { body, message };
  }

  it('has Bolt accept a signed block_actions body and run the listener end to end', async () => {
    const { emu, ops, alice } = world;
    const { body, message } = await clickApprove();
    const res = await fetch(endpoint, { method: 'POST', headers: slackFormHeaders(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)), body });
    expect(res.status).toBe(200);
    await emu.waitFor((e) => e.ephemerals(alice).find((m) => m.text === 'Thanks, approval recorded.'), 3000, 'the approval ephemeral');
    expect(emu.messages(ops)[0]?.text).toBe(`approved by ${alice}`);
    expect(seen.actions[0]).toMatchObject({
      type: 'block_actions',
      user: { id: alice, username: 'alice', name: 'alice', team_id: emu.teamId },
      container: { type: 'message', message_ts: message.ts, channel_id: ops, is_ephemeral: false },
      channel: { id: ops, name: 'ops' },
      state: { values: {} },
      actions: [{ type: 'button', action_id: 'approve', block_id: 'decision', value: 'p-1', action_ts: '1893456000.123456', text: { type: 'plain_text', text: 'Approve' } }],
    });
  });

  it('has Bolt refuse a tampered body with 401', async () => {
    const { body } = await clickApprove();
    const headers = slackFormHeaders(SIGNING_SECRET, body, Math.floor(Date.now() / 1000));
    const tampered = body.replace('p-1', 'p-2');
    expect(tampered).not.toBe(body);
    const res = await fetch(endpoint, { method: 'POST', headers, body: tampered });
    expect(res.status).toBe(401);
    expect(seen.actions).toEqual([]);
  });

  it('has Bolt refuse a body signed with another secret with 401', async () => {
    const { body } = await clickApprove();
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': SLACK_FORM_CONTENT_TYPE, ...signSlackRequest('other-secret', body, Math.floor(Date.now() / 1000)) }, body });
    expect(res.status).toBe(401);
  });

  it('has Bolt accept a signed slash command and respond in channel through the response_url', async () => {
    const { emu, ops, alice } = world;
    const body = buildSlashCommandBody({
      team: { id: emu.teamId, domain: emu.teamDomain },
      channel: { id: ops, name: 'ops' },
      user: { id: alice, username: 'alice' },
      command: '/backstop',
      text: 'checkout',
      apiAppId: emu.appId,
      responseUrl: emu.responseUrl(ops, alice),
      triggerId: emu.triggerId(alice),
    });
    expect(Object.fromEntries(new URLSearchParams(body)).command).toBe('/backstop');
    const res = await fetch(endpoint, { method: 'POST', headers: slackFormHeaders(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)), body });
    expect(res.status).toBe(200);
    await emu.waitFor((e) => e.messages(ops).find((m) => m.text === 'status for checkout'), 3000, 'the in-channel response');
    expect(seen.commands[0]).toMatchObject({ command: '/backstop', text: 'checkout', user_id: alice, channel_id: ops, team_id: emu.teamId });
  });

  it('produces the v0 signature of v0:<ts>:<body>', () => {
    const headers = signSlackRequest(SIGNING_SECRET, 'a=b', 1_700_000_000);
    expect(headers['x-slack-request-timestamp']).toBe('1700000000');
    expect(headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
  });
});
