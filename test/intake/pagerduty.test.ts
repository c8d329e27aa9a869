/**
 * PagerDuty: Webhooks v3 in (signed, at least once), the REST API out (nock, with the documented
 * request and response shapes): on-call approvers, notes with a From header, resolution, and
 * API failures that must not block the rollback.
 */
import { createHmac } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { CHANNEL, startFixture, USERS, type Fixture } from '../support/bot-fixture.js';

const SECRET = 'pagerduty-webhook-secret-0123';
const PD = 'https://api.pagerduty.com';
let fx: Fixture;
const notes: { from: string | undefined; content: string }[] = [];
let failNotes = 0;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  fx = await startFixture({
    policyTop: 'pagerduty: { resolveAfterVerified: true }\n',
    env: { PAGERDUTY_TOKEN: 'pd-api-token-value-123', PAGERDUTY_FROM: 'backstop@example.com', PAGERDUTY_WEBHOOK_SECRET: SECRET },
    seed: (r) => {
      r.register('checkout-model', 'c1');
      r.register('checkout-model', 'c2');
      r.promote('checkout-model', 'c1', { actor: 'ci', reason: 'release' });
      r.promote('checkout-model', 'c2', { actor: 'ci', reason: 'release' });
    },
    extraPolicy: `
  checkout:
    match: { pagerduty_service_id: PSVC001 }
    channel: ${CHANNEL.id}
    requiredApprovals: 2
    approvers:
      users: [${USERS.alice.id}]
      pagerduty: { schedules: [PSCHED01] }
    adapter: { kind: local-registry, model: checkout-model }
    slis:
      - { name: conversion, source: static, values: { c1: 0.05, c2: 0.01 }, comparator: lt, threshold: 0.03 }
`,
  });
  nock(PD).persist().post('/incidents/PINC001/notes').reply(function (_uri, body) {
    if (failNotes > 0) {
      failNotes--;
      return [500, { error: { message: 'Internal Server Error', code: 2000 } }];
    }
    const header = this.req.headers.from;
    notes.push({ from: Array.isArray(header) ? header[0] : header, content: (body as { note: { content: string } }).note.content });
    return [201, { note: { id: 'PNOTE01', content: (body as { note: { content: string } }).note.content, created_at: new Date().toISOString() } }];
  });
});
afterEach(() => undefined);
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await fx?.stop();
});

function event(type: string, over: Record<string, unknown> = {}) {
  return {
    event: {
      id: `01E${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
      event_type: type,
      resource_type: 'incident',
      occurred_at: new Date().toISOString(),
      agent: { html_url: 'https://acme.pagerduty.com/users/PUSER01', id: 'PUSER01', self: 'https://api.pagerduty.com/users/PUSER01', summary: 'Olivia Oncall', type: 'user_reference' },
      client: null,
      data: {
        id: 'PINC001', type: 'incident', self: 'https://api.pagerduty.com/incidents/PINC001', html_url: 'https://acme.pagerduty.com/incidents/PINC001',
        number: 42, status: type === 'incident.resolved' ? 'resolved' : 'triggered', incident_key: 'checkout-conversion', created_at: new Date().toISOString(),
        title: 'Checkout conversion dropped', service: { html_url: 'https://acme.pagerduty.com/services/PSVC001', id: 'PSVC001', self: 'https://api.pagerduty.com/services/PSVC001', summary: 'checkout', type: 'service_reference' },
        assignees: [], escalation_policy: { id: 'PEP0001', summary: 'checkout-ep', type: 'escalation_policy_reference' }, teams: [], priority: null, urgency: 'high',
        conference_bridge: null, resolve_reason: null, ...over,
      },
    },
  };
}

function sign(body: string, secrets = [SECRET]): string {
  return secrets.map((s) => `v1=${createHmac('sha256', s).update(body).digest('hex')}`).join(',');
}

async function deliver(body: unknown, opts: { signature?: string; webhookId?: string } = {}) {
  const text = JSON.stringify(body);
  return fetch(`${fx.bot.url}/alerts/pagerduty`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pagerduty-signature': opts.signature ?? sign(text), 'x-webhook-id': opts.webhookId ?? `wh-${Math.random()}`, 'user-agent': 'PagerDuty-Webhook/V3.0' },
    body: text,
  });
}

describe('PagerDuty webhooks v3', () => {
  it('refuses a delivery whose signatures are all wrong, before parsing', async () => {
    const before = fx.rows();
    const res = await deliver(event('incident.triggered'), { signature: 'v1=deadbeef,v1=00' });
    expect(res.status).toBe(401);
    expect(fx.rows()).toEqual(before);
  });

  it('accepts any matching v1 signature (secret rotation), opens the incident and dedupes redeliveries', async () => {
    failNotes = 1;
    const body = event('incident.triggered');
    const text = JSON.stringify(body);
    const res = await fetch(`${fx.bot.url}/alerts/pagerduty`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pagerduty-signature': sign(text, ['old-secret-000000', SECRET]), 'x-webhook-id': 'wh-1' }, body: text });
    expect(res.status).toBe(200);
    const again = await fetch(`${fx.bot.url}/alerts/pagerduty`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pagerduty-signature': sign(text), 'x-webhook-id': 'wh-1' }, body: text });
    expect(await again.json()).toMatchObject({ duplicate: true });
    const p = await fx.emu.waitFor(() => fx.bot.sqlite.proposals.liveFor('checkout'), 5000, 'checkout proposal');
    expect(p).toMatchObject({ fromVersion: 'c2', toVersion: 'c1' });
    expect(fx.bot.sqlite.incidents.pagerDutyIncident(p.incidentId)).toBe('PINC001');
  });

  it('retries a failed note and audits the failure without blocking anything', async () => {
    await fx.emu.waitFor(() => notes.find((n) => n.content.includes('Proposed rollback')), 10_000, 'proposal note after retry');
    const p = fx.bot.sqlite.proposals.liveFor('checkout')!;
    expect(fx.bot.sqlite.audit.forIncident(p.incidentId).map((e) => e.action)).toContain('pagerduty.failed');
    expect(notes.every((n) => n.from === 'backstop@example.com')).toBe(true);
  });

  it('lets whoever is on call approve (matched by e-mail) and tells others why not', async () => {
    const oncall = nock(PD).persist().get('/oncalls').query(true).reply(200, {
      oncalls: [{ escalation_policy: { id: 'PEP0001', type: 'escalation_policy_reference' }, escalation_level: 1, schedule: { id: 'PSCHED01', type: 'schedule_reference' }, user: { id: 'PUSER09', type: 'user', name: 'Carol', email: 'carol@example.com', summary: 'Carol' }, start: '2026-11-23T00:00:00Z', end: '2026-11-24T00:00:00Z' }],
      limit: 25, offset: 0, more: false, total: null,
    });
    const msg = await fx.emu.waitFor(() => fx.emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal for checkout')), 5000, 'checkout message');
    await fx.slack.click(USERS.mallory, CHANNEL, msg, ACTION_APPROVE);
    const refusal = await fx.emu.waitFor(() => fx.emu.ephemerals(USERS.mallory.id).find((e) => e.text.includes('PagerDuty')), 5000, 'refusal');
    expect(refusal.text).toContain('mallory@example.com is not on call in PagerDuty now; on call: carol@example.com');
    await fx.slack.click(USERS.carol, CHANNEL, msg, ACTION_APPROVE);
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.liveFor('checkout')?.approvals.some((a) => a.user === USERS.carol.id) || undefined, 5000, 'carol approved');
    await fx.slack.click(USERS.alice, CHANNEL, msg, ACTION_APPROVE);
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.recent('checkout', 1)[0]?.state === 'verified' || undefined, 10_000, 'verified');
    expect(oncall.isDone()).toBe(true);
    oncall.persist(false);
  });

  it('notes every step on the PagerDuty incident and resolves it after a verified rollback', async () => {
    const resolved = nock(PD).put('/incidents/PINC001', { incident: { type: 'incident_reference', status: 'resolved' } }).matchHeader('from', 'backstop@example.com').reply(200, { incident: { id: 'PINC001', status: 'resolved' } });
    await fx.emu.waitFor(() => notes.find((n) => n.content.includes('Verified')), 10_000, 'verification note');
    const contents = notes.map((n) => n.content).join('\n');
    for (const step of ['Proposed rollback', 'Approved by @carol', 'Quorum reached', 'Executing rollback', 'Rolled back checkout', 'Verified']) expect(contents).toContain(step);
    // People by name: PagerDuty cannot resolve Slack ids.
    for (const u of Object.values(USERS)) expect(contents).not.toContain(u.id);
    await fx.emu.waitFor(() => resolved.isDone() || undefined, 10_000, 'PagerDuty incident resolved');
    expect(contents).not.toContain('pd-api-token-value-123');
  });

  it('maps incident.resolved onto our incident: closed, postmortem posted', async () => {
    const p = fx.bot.sqlite.proposals.recent('checkout', 1)[0]!;
    expect((await deliver(event('incident.resolved'))).status).toBe(200);
    await fx.emu.waitFor(() => fx.bot.sqlite.incidents.get(p.incidentId)?.postmortemPath || undefined, 10_000, 'postmortem');
    expect(fx.bot.sqlite.incidents.get(p.incidentId)!.status).toBe('resolved');
  });
});
