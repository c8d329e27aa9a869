import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/adapters/http-webhook/adapter.js';
import { fillFromDeploys } from '../../src/domain/deploy-history.js';
import { CHANNEL, DEPLOY_TOKEN, GENERIC_SECRET, startFixture, type Fixture } from '../support/bot-fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx?.stop());

async function generic(body: unknown) {
  const text = JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000);
  return fetch(`${fx.bot.url}/alerts/generic`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-backstop-timestamp': String(ts), 'x-backstop-signature': signWebhook(GENERIC_SECRET, ts, text) }, body: text });
}

describe('generic webhook', () => {
  it('opens the incident and proposes from a signed alert, and dedupes a repeat', async () => {
    const alert = { id: 'latency-1', status: 'firing', name: 'LatencyHigh', labels: { service: 'fraud-scorer' }, summary: 'p99 above 250 ms', severity: 'critical', startsAt: '2026-11-23T08:00:00Z' };
    const res = await generic({ alerts: [alert] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ new: 1 });
    expect(await (await generic({ alerts: [alert] })).json()).toMatchObject({ duplicates: 1 });
    await fx.emu.waitFor(() => fx.emu.messages(CHANNEL.id, { topLevel: true }).find((m) => m.text.startsWith('Rollback proposal')), 5000, 'proposal');
  });

  it('names the bad field', async () => {
    const res = await generic({ alerts: [{ id: 'x', status: 'burning', name: 'X', labels: {}, startsAt: 'now' }] });
    expect(res.status).toBe(400);
    const body = await res.json() as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['alerts.0.status', 'alerts.0.labels', 'alerts.0.startsAt']));
  });
});

describe('POST /deploys', () => {
  const post = (body: unknown) => fetch(`${fx.bot.url}/deploys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEPLOY_TOKEN}` }, body: JSON.stringify(body) });

  it('records a deploy, and refuses an unknown service by name', async () => {
    expect((await post({ service: 'fraud-scorer', version: 'v42', at: '2026-11-23T07:00:00Z', by: 'ci:pipeline-812' })).status).toBe(201);
    expect(fx.bot.sqlite.deploys.recent('fraud-scorer')[0]).toEqual({ service: 'fraud-scorer', version: 'v42', at: '2026-11-23T07:00:00Z', by: 'ci:pipeline-812' });
    const bad = await post({ service: 'nope', version: 'v1', by: 'ci' });
    expect(bad.status).toBe(400);
    expect((await bad.json() as { message: string }).message).toContain('service');
  });
});

describe('deploy history', () => {
  const deploys = [
    { version: 'v43', at: '2026-11-23T08:00:00Z' },
    { version: 'v42', at: '2026-11-22T08:00:00Z' },
    { version: 'v41', at: '2026-11-21T08:00:00Z' },
  ];
  it('supplies deploy time and last-good version a target cannot tell', () => {
    expect(fillFromDeploys({ current: null, lastGood: null, deployedAt: null }, deploys, new Set())).toEqual({ current: 'v43', lastGood: 'v42', deployedAt: new Date('2026-11-23T08:00:00Z') });
  });
  it('skips versions Backstop rolled back away from', () => {
    expect(fillFromDeploys({ current: 'v43', lastGood: null, deployedAt: null }, deploys, new Set(['v42'])).lastGood).toBe('v41');
  });
  it('keeps what the target knows', () => {
    const known = { current: 'v43', lastGood: 'v40', deployedAt: new Date('2026-11-23T09:00:00Z') };
    expect(fillFromDeploys(known, deploys, new Set())).toEqual(known);
  });
});
