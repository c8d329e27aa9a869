import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitopsAdapter, type GitopsOptions } from '../../src/adapters/gitops/adapter.js';
import { describeRollbackAdapterContract } from './contract.js';

/**
 * Real git: a bare repository as `origin`, a developer's clone that ships versions, and the
 * adapter's own clone. No git call is mocked.
 */

const VALUES = (tag: string, replicas = 3) => `# Deployed by Argo CD from this file; CI bumps image.tag.
image:
  repository: registry.example/fraud-scorer
  tag: ${tag} # bumped by CI
model:
  version: ${tag.replace('v', '')}
replicas: ${replicas}
`;

class Remote {
  readonly dir = mkdtempSync(join(tmpdir(), 'backstop-gitops-'));
  readonly bare = join(this.dir, 'origin.git');
  readonly dev = join(this.dir, 'dev');
  private tick = 0;
  private shipped = 0;

  constructor(tags: string[]) {
    this.git(this.dir, 'init', '-q', '--bare', '-b', 'main', this.bare);
    this.git(this.dir, 'clone', '-q', this.bare, this.dev);
    this.git(this.dev, 'checkout', '-q', '-b', 'main');
    mkdirSync(join(this.dev, 'deploy'));
    for (const t of tags) this.ship(t);
  }

  git(cwd: string, ...args: string[]): string {
    const when = new Date(Date.parse('2025-03-01T09:00:00Z') + this.tick++ * 60_000).toISOString();
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
    });
  }

  /** A developer (or CI) deploys `tag` by committing and pushing. */
  ship(tag: string, replicas?: number): void {
    this.shipText(VALUES(tag, replicas), `ship ${tag}`);
  }

  /** Commits and pushes `text` as the values file, exactly as written. */
  shipText(text: string, message: string): void {
    if (this.shipped++ > 0) this.git(this.dev, 'pull', '-q', '--ff-only', 'origin', 'main');
    writeFileSync(join(this.dev, 'deploy', 'values.yaml'), text);
    this.git(this.dev, 'add', '.');
    this.git(this.dev, 'commit', '-q', '-m', message);
    this.git(this.dev, 'push', '-q', 'origin', 'HEAD:main');
  }

  file(): string {
    return this.git(this.dir, '--git-dir', this.bare, 'show', 'main:deploy/values.yaml');
  }

  serving(): string | null {
    const v = parseDocument(this.file()).getIn(['image', 'tag']);
    return typeof v === 'string' ? v : null;
  }

  head(): string {
    return this.git(this.dir, '--git-dir', this.bare, 'rev-parse', 'main').trim();
  }

  /** Commits on main that Backstop made. */
  moves(): number {
    return this.git(this.dir, '--git-dir', this.bare, 'log', '--format=%(trailers:key=Backstop-Idempotency-Key,valueonly)', 'main').split('\n').filter((l) => l.trim()).length;
  }

  lastMessage(): string {
    return this.git(this.dir, '--git-dir', this.bare, 'log', '-1', '--format=%B', 'main');
  }

  hook(repoDir: string, name: string, script: string): void {
    const file = join(repoDir, repoDir.endsWith('.git') ? 'hooks' : '.git/hooks', name);
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function makeRemote(tags = ['v40', 'v41', 'v42']): Remote {
  return new Remote(tags);
}

function adapterFor(remote: Remote, over: Partial<GitopsOptions> = {}): GitopsAdapter {
  return new GitopsAdapter({
    service: 'fraud-scorer',
    repo: remote.bare,
    branch: 'main',
    file: 'deploy/values.yaml',
    path: 'image.tag',
    workdir: join(remote.dir, 'backstop'),
    author: { name: 'Backstop', email: 'backstop@example.com' },
    timeoutMs: 1_000,
    historyDepth: 50,
    env: process.env,
    ...over,
  });
}

const req = (to: string, idempotencyKey = 'rb-42', expectedFrom: string | null = 'v42') => ({ to, expectedFrom, idempotencyKey, actor: 'U0APPROVER', reason: 'accuracy 0.71 < 0.85 since v42' });

describeRollbackAdapterContract('gitops', async () => {
  const remote = makeRemote();
  return {
    adapter: adapterFor(remote),
    seeded: { current: 'v42', lastGood: 'v41' },
    unknownVersion: 'v999',
    knowsVersions: true,
    serving: async () => remote.serving(),
    moves: async () => remote.moves(),
    moveTarget: async () => {
      remote.ship('v43');
      return 'v43';
    },
    faults: {
      timeout: () => {
        remote.hook(remote.bare, 'pre-receive', 'sleep 5; exit 1');
        return {};
      },
      'client-error': () => {
        remote.hook(remote.bare, 'pre-receive', 'echo "main is protected: open a pull request" >&2; exit 1');
        return { message: 'main is protected: open a pull request' };
      },
    },
    close: async () => remote.close(),
  };
});

describe('GitopsAdapter', () => {
  let remote: Remote;
  let adapter: GitopsAdapter;

  beforeEach(() => {
    remote = makeRemote();
    adapter = adapterFor(remote);
  });

  afterEach(() => {
    remote.close();
  });

  it('plans and preflights without committing or pushing anything', async () => {
    const head = remote.head();
    const plan = await adapter.plan('v41');
    expect(plan).toMatchObject({ from: 'v42', to: 'v41' });
    expect(plan.steps[0]).toBe('set image.tag in deploy/values.yaml from v42 to v41, changing only that value (one line)');
    expect((await adapter.preflight('v41')).ok).toBe(true);
    expect(remote.head()).toBe(head);
    const local = remote.git(join(remote.dir, 'backstop'), 'status', '--porcelain');
    expect(local).toBe('');
  });

  it('pushes one commit that changes only the value, with reason, approver and proposal in the message', async () => {
    const out = await adapter.execute(req('v41'));
    expect(out).toMatchObject({ ok: true, version: 'v41', alreadyApplied: false });
    expect(remote.file()).toBe(VALUES('v42').replace('tag: v42 # bumped by CI', 'tag: v41 # bumped by CI'));
    expect(remote.lastMessage().trimEnd()).toBe(
      [
        'Roll back fraud-scorer: image.tag v42 -> v41',
        '',
        'accuracy 0.71 < 0.85 since v42',
        '',
        'Approved-by: U0APPROVER',
        'Backstop-Proposal: rb-42',
        'Backstop-Rolled-Back-From: v42',
        'Backstop-Idempotency-Key: rb-42',
      ].join('\n'),
    );
    expect(await adapter.readBack('v41')).toMatchObject({ confirmed: true, version: 'v41' });
  });

  it('recognises its own commit from a fresh clone, so a restarted Backstop does not push twice', async () => {
    await adapter.execute(req('v41'));
    const other = adapterFor(remote, { workdir: join(remote.dir, 'backstop-after-restart') });
    expect(await other.execute(req('v41'))).toMatchObject({ ok: true, alreadyApplied: true });
    expect(remote.moves()).toBe(1);
  });

  it('answers a push rejected as non-fast-forward as retryable, and the retry lands on top of the other change', async () => {
    await adapter.versions();
    // Someone pushes between Backstop's fetch and its push (once): after its commit, before its push.
    const marker = join(remote.dir, 'raced');
    remote.hook(join(remote.dir, 'backstop'), 'post-commit', `[ -e ${marker} ] && exit 0; touch ${marker}; cd ${remote.dev} && sed -i 's/^replicas: 3/replicas: 5/' deploy/values.yaml && git -c user.name=Dev -c user.email=dev@example.com commit -qam 'scale to 5' && git push -q origin HEAD:main`);
    const first = await adapter.execute(req('v41'));
    expect(first).toMatchObject({ ok: false, retryable: true });
    if (!first.ok) expect(first.message).toContain('someone pushed to main first');
    expect(remote.serving()).toBe('v42');
    const second = await adapter.execute(req('v41'));
    expect(second).toMatchObject({ ok: true, alreadyApplied: false });
    expect(remote.file()).toBe(VALUES('v41', 5).replace('version: 41', 'version: 42'));
    expect(remote.moves()).toBe(1);
  });

  it('changes exactly one line, keeping aligned trailing comments in their column', async () => {
    const aligned = (tag: string) => [
      '# Deployed by Argo CD from this file.',
      'image:',
      '  repository: registry.example/fraud-scorer   # where CI pushes',
      `  tag: ${tag}                                     # bumped by CI`,
      "  pullPolicy: 'IfNotPresent'                    # never Always in prod",
      '',
      'model: {version: "9", format: onnx}            # flow style stays flow style',
      '',
    ].join('\n');
    remote.shipText(aligned('v9'), 'ship v9');
    remote.shipText(aligned('v10').replace('"9"', '"10"'), 'ship v10');
    const before = remote.file();
    expect(await adapter.execute(req('v9', 'rb-10', 'v10'))).toMatchObject({ ok: true, alreadyApplied: false });
    const numstat = remote.git(remote.dir, '--git-dir', remote.bare, 'diff', '--numstat', 'main~1', 'main').trim();
    expect(numstat).toBe('1\t1\tdeploy/values.yaml');
    const after = remote.file();
    const changed = after.split('\n').filter((line, i) => line !== before.split('\n')[i]);
    expect(changed).toEqual(['  tag: v9                                      # bumped by CI']);
    expect(changed[0]?.indexOf('#')).toBe(before.split('\n')[3]?.indexOf('#'));

    const byModel = adapterFor(remote, { path: 'model.version', workdir: join(remote.dir, 'by-model') });
    expect(await byModel.execute(req('9', 'rb-model', '10'))).toMatchObject({ ok: true });
    // A quoted string stays quoted, so "9" does not turn into the number 9.
    expect(remote.file()).toContain('model: {version: "9", format: onnx}            # flow style');
  });

  it('does not overwrite a release pushed while it commits: the retry refuses with target_moved', async () => {
    await adapter.versions();
    const marker = join(remote.dir, 'released');
    remote.hook(join(remote.dir, 'backstop'), 'post-commit', `[ -e ${marker} ] && exit 0; touch ${marker}; cd ${remote.dev} && sed -i 's/tag: v42/tag: v43/' deploy/values.yaml && git -c user.name=CI -c user.email=ci@example.com commit -qam 'ship v43' && git push -q origin HEAD:main`);
    expect(await adapter.execute(req('v41'))).toMatchObject({ ok: false, retryable: true });
    const retry = await adapter.execute(req('v41'));
    expect(retry).toMatchObject({ ok: false, retryable: false, code: 'target_moved', current: 'v43' });
    expect(remote.serving()).toBe('v43');
    expect(remote.moves()).toBe(0);
  });

  it('keeps a number a number', async () => {
    const byModel = adapterFor(remote, { path: 'model.version', workdir: join(remote.dir, 'by-model') });
    expect(await byModel.versions()).toMatchObject({ current: '42', lastGood: '41' });
    await byModel.execute(req('41', 'rb-42', '42'));
    expect(remote.file()).toContain('\n  version: 41\n');
  });

  it('does not offer again a value it rolled back from, and dates the current value by its commit', async () => {
    await adapter.execute(req('v41'));
    remote.ship('v43');
    const v = await adapter.versions();
    expect(v).toMatchObject({ current: 'v43', lastGood: 'v41' });
    expect(v.deployedAt?.toISOString()).toBe(remote.git(remote.dir, '--git-dir', remote.bare, 'log', '-1', '--format=%cI', 'main').trim().replace('Z', '.000Z').replace('+00:00', '.000Z'));
  });

  it('says what is wrong when the file or the value is missing', async () => {
    const wrongFile = adapterFor(remote, { file: 'deploy/nope.yaml', workdir: join(remote.dir, 'w1') });
    const pre = await wrongFile.preflight('v41');
    expect(pre).toMatchObject({ ok: false, checks: [{ name: 'repository readable', ok: false }] });
    expect(pre.checks[0]?.detail).toContain('deploy/nope.yaml does not exist on main');
    const wrongPath = adapterFor(remote, { path: 'image.digest', workdir: join(remote.dir, 'w2') });
    expect(await wrongPath.execute(req('v41'))).toMatchObject({ ok: false, retryable: false });
  });

  it('reports an unreachable repository as a failure, not a throw, from execute', async () => {
    const gone = adapterFor(remote, { repo: join(remote.dir, 'missing.git'), workdir: join(remote.dir, 'w3') });
    const out = await gone.execute(req('v41'));
    expect(out).toMatchObject({ ok: false, retryable: false });
    if (!out.ok) expect(out.message).toContain('git clone failed');
  });

  it('keeps the token out of messages and process arguments', async () => {
    const secret = 'ghp_do_not_leak_123456';
    const withToken = adapterFor(remote, { repo: `https://127.0.0.1:1/${secret}/repo.git`, token: { username: 'x-access-token', token: secret }, workdir: join(remote.dir, 'w4') });
    const out = await withToken.execute(req('v41'));
    expect(out.ok).toBe(false);
    expect(JSON.stringify(out)).not.toContain(secret);
    expect(readFileSync(join(remote.bare, 'HEAD'), 'utf8')).toContain('main');
  });
});
