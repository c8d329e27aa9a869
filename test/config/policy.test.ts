import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { matchService, parsePolicy, resolveService } from '../../src/config/policy.js';

const good = `
defaults: { requiredApprovals: 1, settle: 5s }
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    critical: true
    approvers: { users: [U0AAA, U0BBB], groups: [S0CCC] }
    adapter: { kind: local-registry, model: fraud-scorer }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.8 }, comparator: lt, threshold: 0.85 }
`;

describe('policy file', () => {
  it('parses a valid policy and applies defaults', () => {
    const r = parsePolicy(good);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const svc = resolveService(r.policy, 'fraud-scorer')!;
    expect(svc.settle).toBe(5000);
    expect(svc.proposalTtl).toBe(30 * 60_000);
    expect(svc.adapter).toEqual({ kind: 'local-registry', model: 'fraud-scorer', alias: 'production' });
  });

  it('makes critical services need two approvers even when the default says one', () => {
    const r = parsePolicy(good);
    expect(r.ok && resolveService(r.policy, 'fraud-scorer')!.requiredApprovals).toBe(2);
  });

  it('matches alerts on every configured label', () => {
    const r = parsePolicy(good);
    if (!r.ok) throw new Error('bad');
    expect(matchService(r.policy, { service: 'fraud-scorer', alertname: 'X' })).toBe('fraud-scorer');
    expect(matchService(r.policy, { service: 'other' })).toBeUndefined();
  });

  it('reports every problem with its path and a fix', () => {
    const bad = good
      .replace('comparator: lt', 'comparator: less')
      .replace('users: [U0AAA, U0BBB]', 'users: [alice]')
      .replace('kind: local-registry, model: fraud-scorer', 'kind: local-registry')
      .replace('settle: 5s', 'settle: soon');
    const r = parsePolicy(bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining([
      'defaults.settle', 'services.fraud-scorer.approvers.users.0', 'services.fraud-scorer.adapter.model', 'services.fraud-scorer.slis.0.comparator',
    ]));
    expect(r.problems.find((p) => p.path === 'services.fraud-scorer.approvers.users.0')?.message).toContain('U0123ABCD');
  });

  it('refuses a prometheus SLI without a query, and YAML syntax errors with a line', () => {
    const r = parsePolicy(good.replace('source: static, values: { v41: 0.91, v42: 0.8 }', 'source: prometheus'));
    expect(!r.ok && r.problems.map((p) => p.path)).toContain('services.fraud-scorer.slis.0.query');
    const y = parsePolicy('services: [unclosed');
    expect(!y.ok && y.problems[0]!.message).toMatch(/line \d+/);
  });

  it('refuses unknown keys (typos are not silently ignored)', () => {
    const r = parsePolicy(good.replace('critical: true', 'critcal: true'));
    expect(!r.ok && r.problems[0]!.path).toBe('services.fraud-scorer');
    expect(!r.ok && r.problems[0]!.message).toContain('critcal');
  });
});

describe('environment', () => {
  it('names the variable and the fix', () => {
    const r = parseEnv({ SLACK_BOT_TOKEN: 'xoxp-user-token', PORT: 'eighty' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN', 'PORT']));
    expect(r.problems.find((p) => p.path === 'SLACK_BOT_TOKEN')?.message).toContain('xoxb-');
  });
  it('requires the signing secret in HTTP mode', () => {
    const r = parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1-2-3' });
    expect(!r.ok && r.problems[0]!.path).toBe('SLACK_SIGNING_SECRET');
    expect(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_APP_TOKEN: 'xapp-1', BACKSTOP_AUDIT_KEY: 'k'.repeat(32) }).ok).toBe(true);
  });
});

describe('npx backstop config check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-cfg-'));
  const cli = join(process.cwd(), 'bin', 'backstop.js');

  it('exits 0 on the shipped example policy', () => {
    const out = execFileSync('node', [cli, 'config', 'check', 'manifests/policy.example.yaml'], { encoding: 'utf8', env: { ...process.env, RANKING_ROLLBACK_SECRET: 'whsec-example-0123456789' } });
    expect(out).toContain('ok (2 service(s)');
  });

  it('prints each problem with its path and exits non-zero', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, good.replace('threshold: 0.85', 'threshold: high').replace('comparator: lt', 'comparator: below'));
    const r = spawnSync('node', [cli, 'config', 'check', file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('services.fraud-scorer.slis.0.threshold');
    expect(r.stderr).toContain('services.fraud-scorer.slis.0.comparator');
    expect(r.stderr).toContain('2 problem(s) found');
  });

  it('reports a secret the policy names but the environment lacks, unless asked to check the file alone', () => {
    const file = join(dir, 'webhook.yaml');
    writeFileSync(file, good.replace(/adapter: \{[^}]*\}/, 'adapter: { kind: http-webhook, url: "https://deploy.example/rollback", secretEnv: SCORER_ROLLBACK_SECRET }'));
    const bare = { ...process.env, SCORER_ROLLBACK_SECRET: '' };
    const missing = spawnSync('node', [cli, 'config', 'check', file], { encoding: 'utf8', env: bare });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('services.fraud-scorer.adapter.secretEnv');
    expect(missing.stderr).toContain('SCORER_ROLLBACK_SECRET');
    const set = spawnSync('node', [cli, 'config', 'check', file], { encoding: 'utf8', env: { ...process.env, SCORER_ROLLBACK_SECRET: 'whsec-0123456789abcdef' } });
    expect(set.stdout).toContain('1 secret variable(s) set');
    expect(set.status).toBe(0);
    const fileOnly = spawnSync('node', [cli, 'config', 'check', file, '--file-only'], { encoding: 'utf8', env: bare });
    expect(fileOnly.status).toBe(0);
    expect(fileOnly.stdout).toContain('secrets not checked');
  });
});
