/**
 * Property test: thousands of malformed payloads at every intake and interaction endpoint.
 * None may crash the bot, get a 5xx, or write a row; each gets a 4xx that says what is wrong.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackFormHeaders } from '../../src/slack/signing.js';
import { SIGNING_SECRET, startFixture, type Fixture } from '../support/bot-fixture.js';
import { INTAKE_ENDPOINTS, SLACK_ENDPOINTS } from './endpoints.js';

/**
 * Payloads per endpoint: FUZZ_RUNS from the environment, 1,000 by default so the local suite stays
 * fast. CI (.ci/run) sets FUZZ_RUNS=10000: every endpoint gets at least 10,000 malformed payloads.
 */
function fuzzRuns(value = process.env.FUZZ_RUNS): number {
  if (value === undefined || value.trim() === '') return 1_000;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive whole number, not ${JSON.stringify(value)}`);
  return n;
}
const RUNS = fuzzRuns();
// 120 s for 10,000 payloads, in proportion for other counts (never under 30 s).
const TIMEOUT = Math.max(30_000, Math.ceil((RUNS / 10_000) * 120_000));
let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx?.stop());

/** A value of the wrong kind for any field: never a valid replacement. */
const wrongValue = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));

/** Paths of required, typed fields in a body, so that replacing or removing one breaks it. */
function requiredPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => requiredPaths(v, [...prefix, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...requiredPaths(v, [...prefix, k])]);
  }
  return [];
}

function mutate(body: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let node = copy;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && !Array.isArray(node)) delete node[last];
  else node[last] = replacement;
  return copy;
}

describe.each(INTAKE_ENDPOINTS)('$name under malformed input', (ep) => {
  const valid = ep.valid();
  // Fields whose absence or wrong type must be refused (optional ones like annotations are excluded).
  const strict = requiredPaths(valid).filter((p) => ep.required.includes(p.join('.')));
  const malformed = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.tuple(fc.constantFrom(...strict), wrongValue, fc.boolean()).map(([path, v, remove]) => JSON.stringify(mutate(valid, path, v, remove))),
    fc.nat({ max: JSON.stringify(valid).length - 1 }).map((n) => JSON.stringify(valid).slice(0, n)),
  );

  it(`answers ${RUNS} malformed bodies with a 4xx and writes nothing`, async () => {
    const before = fx.rows();
    await fc.assert(fc.asyncProperty(malformed, async (body) => {
      const res = await fetch(`${fx.bot.url}${ep.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...ep.authHeaders(body) }, body });
      const json = await res.json() as { error?: string; message?: string };
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(json.message ?? json.error).toBeTruthy();
    }), { numRuns: RUNS });
    await fx.bot.settled();
    expect(fx.rows()).toEqual(before);
    expect((await fetch(`${fx.bot.url}/healthz`)).status).toBe(200);
  }, TIMEOUT);
});

describe.each(SLACK_ENDPOINTS)('%s under malformed but correctly signed input', (path) => {
  const actionsPayload = { type: 'block_actions', user: { id: 'U0ALICE' }, actions: [{ action_id: 'backstop_approve', value: 'rb-1' }] };
  const malformed = fc.oneof(
    fc.string({ maxLength: 200 }).map((s) => ({ type: 'application/x-www-form-urlencoded', body: `x=${encodeURIComponent(s)}` })),
    fc.string({ maxLength: 200 }).map((s) => ({ type: 'application/x-www-form-urlencoded', body: `payload=${encodeURIComponent(s)}` })),
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ type: 'application/x-www-form-urlencoded', body: `payload=${encodeURIComponent(JSON.stringify(v))}` })),
    fc.tuple(fc.constantFrom(...requiredPaths(actionsPayload)), wrongValue).map(([p, v]) => ({ type: 'application/x-www-form-urlencoded', body: `payload=${encodeURIComponent(JSON.stringify(mutate(actionsPayload, p, v, false)))}` })),
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ type: 'application/json', body: JSON.stringify(v) })),
    fc.string({ maxLength: 100 }).map((s) => ({ type: 'text/plain', body: s })),
  );

  it(`answers ${RUNS} malformed signed bodies with a 4xx and writes nothing`, async () => {
    const before = fx.rows();
    const calls = fx.emu.calls.length;
    await fc.assert(fc.asyncProperty(malformed, async ({ type, body }) => {
      const headers = { ...slackFormHeaders(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)), 'content-type': type };
      const res = await fetch(`${fx.bot.url}${path}`, { method: 'POST', headers, body });
      await res.arrayBuffer();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }), { numRuns: RUNS });
    await fx.bot.settled();
    expect(fx.rows()).toEqual(before);
    expect(fx.emu.calls.length).toBe(calls);
  }, TIMEOUT);
});
