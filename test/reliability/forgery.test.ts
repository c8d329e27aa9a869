import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSlashCommandBody, slackFormHeaders } from '../../src/slack/signing.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { CHANNEL, SIGNING_SECRET, startFixture, USERS, type Fixture } from '../support/bot-fixture.js';
import { INTAKE_ENDPOINTS, SLACK_ENDPOINTS } from './endpoints.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({
    extraPolicy: `
  ranker:
    match: { service: ranker }
    approvers: { users: [${USERS.alice.id}] }
    adapter: { kind: local-registry, model: ranker }
    slis:
      - { name: ndcg, source: static, values: { baseline: 0.7, current: 0.5 }, comparator: lt, threshold: 0.6 }
`,
  });
});
afterAll(() => fx?.stop());

const now = () => Math.floor(Date.now() / 1000);
const statusBody = () => buildSlashCommandBody({
  team: { id: 'T0BACKSTOP', domain: 'b' }, channel: CHANNEL, user: { id: USERS.alice.id, username: 'alice' }, command: '/backstop', text: 'status',
  apiAppId: 'A0BACKSTOP', responseUrl: fx.emu.responseUrl(CHANNEL.id, USERS.alice.id), triggerId: fx.emu.triggerId(USERS.alice.id),
});

describe.each(SLACK_ENDPOINTS)('forged Slack requests to %s are refused before anything runs', (path) => {
  const send = (body: string, headers: Record<string, string>) => fetch(`${fx.bot.url}${path}`, { method: 'POST', headers, body });

  const cases: [string, () => Record<string, string>, number][] = [
    ['a wrong signature', () => slackFormHeaders('not-the-secret', statusBody(), now()), 401],
    ['a stale timestamp (6 minutes old)', () => slackFormHeaders(SIGNING_SECRET, statusBody(), now() - 360), 401],
    ['a timestamp 6 minutes in the future', () => slackFormHeaders(SIGNING_SECRET, statusBody(), now() + 360), 401],
    ['no signature headers', () => ({ 'content-type': 'application/x-www-form-urlencoded' }), 401],
  ];
  it.each(cases)('%s', async (_name, headers, status) => {
    const before = fx.rows();
    const calls = fx.emu.calls.length;
    const body = statusBody();
    const h = headers();
    // The signature was made over a different body (fresh ids): a valid-looking header for another body must fail too.
    const res = await send(body, h);
    expect(res.status).toBe(status);
    await fx.bot.settled();
    expect(fx.rows()).toEqual(before);
    expect(fx.emu.calls.slice(calls).filter((c) => c.method === 'response_url')).toEqual([]);
  });

  it('refuses a replayed request (same body, same signature) after accepting it once', async () => {
    const body = statusBody();
    const headers = slackFormHeaders(SIGNING_SECRET, body, now());
    expect((await send(body, headers)).status).toBe(200);
    const replay = await send(body, headers);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'replayed' });
  });

  it('refuses a body edited after signing', async () => {
    const body = statusBody();
    const headers = slackFormHeaders(SIGNING_SECRET, body, now());
    const res = await send(body.replace('text=status', 'text=resolve+fraud-scorer'), headers);
    expect(res.status).toBe(401);
  });
});

describe.each(INTAKE_ENDPOINTS)('$name refuses forged senders', (ep) => {
  it('answers every forged token or signature with 401 and stores nothing', async () => {
    const body = JSON.stringify(ep.valid());
    for (const headers of ep.forgedHeaders(body)) {
      const before = fx.rows();
      const res = await fetch(`${fx.bot.url}${ep.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      await fx.bot.settled();
      expect(fx.rows()).toEqual(before);
    }
  });

  it('refuses a body changed after it was authenticated', async () => {
    const body = JSON.stringify(ep.valid());
    const headers = ep.authHeaders(body);
    const tampered = body.replace('fraud-scorer', 'fraud-scorex');
    if (tampered === body || !('x-backstop-signature' in headers || 'x-pagerduty-signature' in headers)) return;
    const res = await fetch(`${fx.bot.url}${ep.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: tampered });
    expect(res.status).toBe(401);
  });
});

describe('edited interaction payloads', () => {
  it('a button whose value was changed to another proposal cannot decide that proposal', async () => {
    expect((await fx.postAlerts(INTAKE_ENDPOINTS[0]!.valid())).status).toBe(200);
    const fraudMsg = await fx.emu.waitFor(() => fx.emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal for fraud-scorer')), 5000, 'fraud proposal');
    // Bob may approve fraud-scorer but not ranker; Alice may approve ranker.
    const registry = new LocalRegistry(fx.bot.sqlite.db, systemClock);
    registry.register('ranker', 'r1');
    registry.register('ranker', 'r2');
    registry.promote('ranker', 'r1', { actor: 'ci', reason: 'release' });
    registry.promote('ranker', 'r2', { actor: 'ci', reason: 'release' });
    await fx.slack.command(USERS.bob, CHANNEL, 'rollback ranker ndcg regression');
    const ranker = await fx.emu.waitFor(() => fx.bot.sqlite.proposals.liveFor('ranker'), 5000, 'ranker proposal');
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.get(ranker.id)?.messageTs, 5000, 'ranker posted');
    // Alice edits the Approve button of the fraud-scorer message to carry the ranker proposal id.
    const edited = JSON.parse(JSON.stringify(fraudMsg)) as typeof fraudMsg;
    for (const b of edited.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]) {
      for (const e of b.elements ?? []) if (e.action_id === ACTION_APPROVE) e.value = ranker.id;
    }
    expect((await fx.slack.click(USERS.alice, CHANNEL, edited, ACTION_APPROVE)).status).toBe(200);
    await fx.emu.waitFor(() => fx.emu.ephemerals(USERS.alice.id).find((e) => e.text.includes('does not belong')), 5000, 'refusal');
    await fx.bot.settled();
    expect(fx.bot.sqlite.proposals.get(ranker.id)!.approvals).toEqual([]);
    expect(fx.bot.sqlite.audit.forProposal(ranker.id).map((e) => e.details.code)).toContain('wrong_message');
  });
});
