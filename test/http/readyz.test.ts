import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from '../support/bot-fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx?.stop());

describe('health endpoints', () => {
  it('answers /healthz while the process runs, and /readyz with what it checked', async () => {
    expect((await fetch(`${fx.bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${fx.bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, checks: { database: 'ok' } });
  });

  it('says not ready, and why, when the database cannot be reached', async () => {
    fx.bot.sqlite.db.close();
    const ready = await fetch(`${fx.bot.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = await ready.json() as { ok: boolean; checks: { database: string } };
    expect(body.ok).toBe(false);
    expect(body.checks.database).toMatch(/^unreachable: /);
    expect((await fetch(`${fx.bot.url}/healthz`)).status).toBe(200);
  });
});
