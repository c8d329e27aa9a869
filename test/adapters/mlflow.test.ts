import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TargetLedger } from '../../src/adapters/ledger.js';
import { MlflowAdapter, type MlflowOptions } from '../../src/adapters/mlflow/adapter.js';
import { compareSignatures } from '../../src/adapters/mlflow/signature.js';
import { openDb, type Db } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';
import { describeRollbackAdapterContract } from './contract.js';
import { FakeMlflow } from './fakes/mlflow-server.js';

const BASE = 'https://mlflow.test';
const MODEL = 'fraud-scorer';
const TOKEN = 'dapi-7f3a9c1e-do-not-leak';
const TARGET = `mlflow:${BASE}/${MODEL}@production`;

const columns = (...cols: Array<[string, string]>) => JSON.stringify(cols.map(([name, type]) => ({ type, name, required: true })));
const SIG = JSON.stringify({ inputs: columns(['amount', 'double'], ['merchant', 'string']), outputs: columns(['score', 'double']) });

interface Setup {
  db: Db;
  clock: FakeClock;
  ledger: TargetLedger;
  server: FakeMlflow;
  adapter: MlflowAdapter;
}

function setup(over: Partial<MlflowOptions> = {}): Setup {
  const db = openDb(':memory:');
  const clock = new FakeClock();
  const ledger = new TargetLedger(db, clock);
  const server = new FakeMlflow(BASE, MODEL).install();
  for (const v of ['40', '41', '42']) server.addVersion({ version: v, tags: { signature: SIG } });
  server.aliases.set('production', '42');
  // Backstop saw the alias at 41 before 42 was promoted.
  ledger.observe(TARGET, '41');
  clock.advance(60_000);
  const adapter = new MlflowAdapter(
    { trackingUri: BASE, model: MODEL, alias: 'production', auth: { type: 'bearer', token: TOKEN }, timeoutMs: 150, signatureTag: 'signature', breadcrumbs: true, ...over },
    ledger,
    clock,
  );
  return { db, clock, ledger, server, adapter };
}

const req = (to: string, idempotencyKey = 'prop-7', expectedFrom: string | null = '42') => ({ to, expectedFrom, idempotencyKey, actor: 'U0APPROVER', reason: 'accuracy 0.71 < 0.85' });

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

afterAll(() => {
  nock.enableNetConnect();
});

describeRollbackAdapterContract('mlflow', async () => {
  const s = setup();
  return {
    adapter: s.adapter,
    seeded: { current: '42', lastGood: '41' },
    unknownVersion: '999',
    unknownVersionMessage: `Model Version (name=${MODEL}, version=999) not found`,
    knowsVersions: true,
    serving: async () => s.server.aliases.get('production') ?? null,
    moves: async () => s.server.moves,
    moveTarget: async () => {
      s.server.addVersion({ version: '43', tags: { signature: SIG } });
      s.server.aliases.set('production', '43');
      return '43';
    },
    faults: {
      timeout: () => {
        s.server.http.fault = { kind: 'timeout', ms: 600 };
        return {};
      },
      'server-error': () => {
        s.server.http.fault = { kind: 'answer', status: 503, body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'database is locked' } };
        return { message: 'database is locked' };
      },
      'client-error': () => {
        s.server.http.fault = { kind: 'answer', status: 403, body: { error_code: 'PERMISSION_DENIED', message: 'User backstop lacks permission EDIT on model fraud-scorer' } };
        return { message: 'User backstop lacks permission EDIT on model fraud-scorer' };
      },
    },
    close: async () => {
      nock.cleanAll();
      s.db.close();
    },
  };
});

describe('MlflowAdapter', () => {
  let s: Setup;

  beforeEach(() => {
    s = setup();
  });

  afterEach(() => {
    nock.cleanAll();
    s.db.close();
  });

  it('sends the bearer token and keeps it out of every message', async () => {
    s.server.http.fault = { kind: 'answer', status: 401, body: { error_code: 'UNAUTHENTICATED', message: `token ${TOKEN} is expired` } };
    const out = await s.adapter.execute(req('41'));
    expect(out).toMatchObject({ ok: false, retryable: false });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(JSON.stringify(out)).toContain('[redacted]');
    expect(s.server.http.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('sends basic credentials when configured so', async () => {
    nock.cleanAll();
    const b = setup({ auth: { type: 'basic', username: 'backstop', password: 'pw-9f8e7d' } });
    await b.adapter.readBack('41');
    expect(b.server.http.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('backstop:pw-9f8e7d').toString('base64')}`);
    b.db.close();
  });

  it('uses the documented REST calls: read the version, read the alias, set it, tag a breadcrumb', async () => {
    const out = await s.adapter.execute(req('41'));
    expect(out).toMatchObject({ ok: true, version: '41', alreadyApplied: false, detail: 'moved alias production of fraud-scorer from 42 to 41' });
    const calls = s.server.http.requests.map((r) => `${r.method} ${r.path.replace('/api/2.0/mlflow', '')}`);
    expect(calls).toEqual(['GET /model-versions/get', 'GET /registered-models/alias', 'POST /registered-models/alias', 'POST /model-versions/set-tag']);
    const setAlias = s.server.http.requests.find((r) => r.method === 'POST' && r.path.endsWith('/registered-models/alias'));
    expect(setAlias?.body).toEqual({ name: MODEL, alias: 'production', version: '41' });
    expect(s.server.versions.get('41')?.tags['backstop.rollback']).toMatch(/^prop-7 by U0APPROVER at .* from 42: accuracy 0\.71 < 0\.85$/);
  });

  it('plans with reads only', async () => {
    const plan = await s.adapter.plan('41');
    expect(plan.from).toBe('42');
    expect(plan.steps.join('\n')).toContain('POST /api/2.0/mlflow/registered-models/alias {name: fraud-scorer, alias: production, version: 41} (was 42)');
    expect(s.server.http.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('still reports success when only the breadcrumb tag fails', async () => {
    s.server.tagFault = [403, { error_code: 'PERMISSION_DENIED', message: 'no tag permission' }];
    const out = await s.adapter.execute(req('41'));
    expect(out).toMatchObject({ ok: true, version: '41' });
    if (out.ok) expect(out.detail).toContain('breadcrumb tag not written: MLflow POST /model-versions/set-tag answered 403: PERMISSION_DENIED: no tag permission');
    expect(s.server.aliases.get('production')).toBe('41');
  });

  it('refuses a version that is not READY, with its status', async () => {
    s.server.addVersion({ version: '43', status: 'PENDING_REGISTRATION' });
    const pre = await s.adapter.preflight('43');
    expect(pre.ok).toBe(false);
    expect(pre.checks.find((c) => c.name === 'target version ready')).toMatchObject({ ok: false, detail: 'status PENDING_REGISTRATION' });
    expect(await s.adapter.execute(req('43'))).toMatchObject({ ok: false, retryable: false, message: 'fraud-scorer version 43 is PENDING_REGISTRATION, not READY' });
    expect(s.server.moves).toBe(0);
  });

  it('refuses a version whose input signature callers cannot satisfy', async () => {
    s.server.addVersion({ version: '39', tags: { signature: JSON.stringify({ inputs: columns(['amount', 'double'], ['country', 'string']) }) } });
    const pre = await s.adapter.preflight('39');
    expect(pre.ok).toBe(false);
    expect(pre.checks.find((c) => c.name === 'input signature compatible')).toMatchObject({
      ok: false,
      detail: 'version 39 needs column country (string) that callers of 42 do not send',
    });
    const out = await s.adapter.execute(req('39'));
    expect(out).toMatchObject({ ok: false, retryable: false });
    expect(s.server.aliases.get('production')).toBe('42');
  });

  it("reads the signature from the run's logged model when the version has no signature tag", async () => {
    s.server.addVersion({ version: '38', run_id: 'run-38', source: 'runs:/run-38/model' });
    s.server.runs.set('run-38', {
      'mlflow.log-model.history': JSON.stringify([
        { run_id: 'run-38', artifact_path: 'explainer', signature: { inputs: columns(['x', 'long']) } },
        { run_id: 'run-38', artifact_path: 'model', signature: { inputs: columns(['amount', 'long']) } },
      ]),
    });
    const pre = await s.adapter.preflight('38');
    expect(pre.checks.find((c) => c.name === 'input signature compatible')).toMatchObject({
      ok: false,
      detail: 'version 38 needs amount as long, callers of 42 send double',
    });
  });

  it('compares nothing, and says so, when a version exposes no signature', async () => {
    s.server.addVersion({ version: '37' });
    const pre = await s.adapter.preflight('37');
    expect(pre.ok).toBe(true);
    expect(pre.checks.find((c) => c.name === 'input signature compatible')?.detail).toBe('not compared: version 37 exposes no input signature');
  });

  it('never offers again a version it rolled back away from', async () => {
    expect(await s.adapter.execute(req('41'))).toMatchObject({ ok: true });
    s.clock.advance(60_000);
    s.server.addVersion({ version: '43', tags: { signature: SIG } });
    s.server.aliases.set('production', '43');
    // 42 was rolled back away from; 43 came from elsewhere, so its deploy time is unknown.
    expect(await s.adapter.versions()).toEqual({ current: '43', lastGood: '41', deployedAt: null });
  });

  it('dates the current version when Backstop itself moved the alias there', async () => {
    await s.adapter.execute(req('41'));
    const movedAt = s.clock.now();
    s.clock.advance(60_000);
    expect(await s.adapter.versions()).toEqual({ current: '41', lastGood: null, deployedAt: movedAt });
  });

  it('falls back to the policy-provided last good when the ledger knows nothing earlier', async () => {
    const db = openDb(':memory:');
    const clock = new FakeClock();
    const adapter = new MlflowAdapter(
      { trackingUri: BASE, model: MODEL, alias: 'production', auth: { type: 'none' }, timeoutMs: 150, signatureTag: 'signature', breadcrumbs: false, fallbackLastGood: '40' },
      new TargetLedger(db, clock),
      clock,
    );
    expect(await adapter.versions()).toEqual({ current: '42', lastGood: '40', deployedAt: null });
    db.close();
  });

  it('reports an unset alias (MLflow answers 400 INVALID_PARAMETER_VALUE) as no current version, and can set it', async () => {
    s.server.aliases.delete('production');
    expect((await s.adapter.versions()).current).toBeNull();
    expect(s.server.http.requests.at(-1)?.path).toBe('/api/2.0/mlflow/registered-models/alias');
    expect(await s.adapter.execute(req('41', 'prop-7', null))).toMatchObject({ ok: true, detail: 'moved alias production of fraud-scorer from (unset) to 41' });
  });

  it('offers the policy fallback as last good while the alias is unset', async () => {
    nock.cleanAll();
    const f = setup({ fallbackLastGood: '40' });
    f.server.aliases.delete('production');
    expect(await f.adapter.versions()).toEqual({ current: null, lastGood: '40', deployedAt: null });
    expect(await f.adapter.readBack('40')).toMatchObject({ confirmed: false, version: null });
    f.db.close();
  });

  it('keeps any other 400 an error', async () => {
    s.server.http.fault = { kind: 'answer', status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'alias'." } };
    await expect(s.adapter.versions()).rejects.toThrow(/400: INVALID_PARAMETER_VALUE: Missing value for required parameter 'alias'/);
  });

  it('refuses when the alias is unset although approvers saw a version serve', async () => {
    s.server.aliases.delete('production');
    expect(await s.adapter.execute(req('41'))).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: null });
    expect(s.server.aliases.has('production')).toBe(false);
  });

  it('answers a replayed key as already applied after CI moved the alias on', async () => {
    expect(await s.adapter.execute(req('41'))).toMatchObject({ ok: true, alreadyApplied: false });
    s.server.addVersion({ version: '43', tags: { signature: SIG } });
    s.server.aliases.set('production', '43');
    expect(await s.adapter.execute(req('41'))).toMatchObject({ ok: true, alreadyApplied: true });
    expect(s.server.aliases.get('production')).toBe('43');
  });

  it('refuses to reuse an idempotency key for another version', async () => {
    await s.adapter.execute(req('41', 'prop-9'));
    expect(await s.adapter.execute(req('40', 'prop-9'))).toMatchObject({ ok: false, retryable: false, message: `idempotency key prop-9 was already used to move ${MODEL}@production to 41` });
  });

  it('treats an unexpected body as a fatal answer, not a crash', async () => {
    nock.cleanAll();
    nock(BASE).persist().get(/.*/).reply(200, { surprise: true });
    const out = await s.adapter.execute(req('41'));
    expect(out).toMatchObject({ ok: false, retryable: false });
  });
});

describe('compareSignatures', () => {
  const sig = (...cols: Array<[string, string]>) => JSON.parse(columns(...cols)) as unknown;

  it('accepts a target that needs a subset of what callers send', () => {
    expect(compareSignatures({ version: '42', inputs: sig(['a', 'double'], ['b', 'string']) }, { version: '41', inputs: sig(['a', 'double']) }).compatible).toBe(true);
  });

  it('ignores optional columns the callers do not send', () => {
    const to = [{ name: 'a', type: 'double' }, { name: 'extra', type: 'string', required: false }];
    expect(compareSignatures({ version: '42', inputs: sig(['a', 'double']) }, { version: '41', inputs: to }).compatible).toBe(true);
  });

  it('lists every problem', () => {
    const v = compareSignatures({ version: '42', inputs: sig(['a', 'double']) }, { version: '41', inputs: sig(['a', 'long'], ['b', 'string']) });
    expect(v).toEqual({ compatible: false, detail: 'version 41 needs a as long, callers of 42 send double; needs column b (string) that callers of 42 do not send' });
  });

  it('requires tensor signatures to match exactly', () => {
    const t = (shape: number[]) => [{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape } }];
    expect(compareSignatures({ version: '2', inputs: t([-1, 4]) }, { version: '1', inputs: t([-1, 4]) }).compatible).toBe(true);
    expect(compareSignatures({ version: '2', inputs: t([-1, 4]) }, { version: '1', inputs: t([-1, 8]) }).compatible).toBe(false);
  });
});
