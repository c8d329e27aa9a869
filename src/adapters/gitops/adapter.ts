import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExecuteOutcome, ExecuteRequest, PreflightCheck, PreflightResult, ReadBack, RollbackAdapter, RollbackPlan, VersionState } from '../../ports/rollback-adapter.js';
import { clip, redactor } from '../support.js';
import { hasMoved, targetMoved } from '../target-moved.js';
import { gitRunner, parseCatFileBatch, type GitResult, type GitRunner } from './git.js';
import { scalarAt, spliceScalar } from './splice.js';

/**
 * Rolls back through the repository a GitOps controller (Argo CD, Flux) deploys from: set one
 * value at a dotted path of a YAML file (only that value's characters change), commit with who, why and
 * the proposal id, push. The commit trailer `Backstop-Idempotency-Key` makes a retried
 * proposal a no-op; the file's own history says which values were deployed before.
 * Backstop keeps a private clone in `workdir` and resets it to the remote before each step.
 */

export interface GitopsOptions {
  service: string;
  repo: string;
  branch: string;
  file: string;
  path: string;
  workdir: string;
  author: { name: string; email: string };
  /** HTTPS token, sent as an `http.extraHeader` through the environment, never on the command line. */
  token?: { username: string; token: string };
  timeoutMs: number;
  historyDepth: number;
  /** Base environment for git (PATH, HOME, SSH settings); the factory passes the process's. */
  env: Record<string, string | undefined>;
}

export const TRAILER = {
  key: 'Backstop-Idempotency-Key',
  proposal: 'Backstop-Proposal',
  from: 'Backstop-Rolled-Back-From',
  approvedBy: 'Approved-by',
} as const;

const FIELD = '\x1f';
const RECORD = '\x1e';

interface Change {
  sha: string;
  at: Date;
  value: string | null;
  rolledBackFrom: string | null;
}

type Step<T> = { ok: true; value: T } | { ok: false; retryable: boolean; message: string };

// git reports transport trouble only as text on stderr; these are the transient kinds.
const TRANSIENT = /returned error: 5\d\d|Could not resolve host|Connection (refused|timed out|reset)|early EOF|RPC failed|Operation timed out|unable to access|the remote end hung up/i;
const PERMANENT = /returned error: 4\d\d|Authentication failed|Permission denied|could not read Username|repository not found|does not appear to be a git repository/i;

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export class GitopsAdapter implements RollbackAdapter {
  readonly kind = 'gitops';
  private readonly git: GitRunner;
  private readonly redact: (text: string) => string;
  private readonly keys: string[];
  // One git operation at a time: the clone has a single index.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: GitopsOptions) {
    this.keys = opts.path.split('.');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, {
      PATH: opts.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: opts.env.HOME ?? opts.workdir,
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      GIT_AUTHOR_NAME: opts.author.name,
      GIT_AUTHOR_EMAIL: opts.author.email,
      GIT_COMMITTER_NAME: opts.author.name,
      GIT_COMMITTER_EMAIL: opts.author.email,
    });
    const secrets: string[] = [];
    if (opts.token) {
      const basic = Buffer.from(`${opts.token.username}:${opts.token.token}`).toString('base64');
      Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
      secrets.push(opts.token.token, basic);
    }
    // Credentials written into the clone URL itself must not reach messages either.
    try {
      const u = new URL(opts.repo);
      if (u.password) secrets.push(decodeURIComponent(u.password));
      if (u.username && u.password) secrets.push(decodeURIComponent(u.username));
    } catch {
      // Not a URL (a path or scp-like ssh address): nothing embedded.
    }
    this.git = gitRunner({ env, timeoutMs: opts.timeoutMs });
    this.redact = redactor(secrets);
  }

  describe(): string {
    return `gitops ${this.opts.path} in ${this.opts.file} on ${this.opts.branch} of ${this.safeRepo()}`;
  }

  async versions(): Promise<VersionState> {
    return this.serially(async () => {
      const h = await this.history();
      if (!h.ok) throw new Error(h.message);
      const [head] = h.value;
      const current = head?.value ?? null;
      return { current, lastGood: this.lastGood(h.value, current), deployedAt: this.introducedAt(h.value) };
    });
  }

  async plan(to: string): Promise<RollbackPlan> {
    return this.serially(async () => {
      const h = await this.history();
      if (!h.ok) return { target: this.describe(), from: null, to, steps: [`cannot plan: ${h.message}`] };
      const from = h.value[0]?.value ?? null;
      return {
        target: this.describe(),
        from,
        to,
        steps: [
          `set ${this.opts.path} in ${this.opts.file} from ${from ?? '(missing)'} to ${to}, changing only that value (one line)`,
          `refuse if the freshly fetched ${this.opts.branch} no longer has ${from ?? 'the value shown'} there`,
          `commit on ${this.opts.branch} with the reason, approver, proposal and a ${TRAILER.key} trailer`,
          `push to ${this.safeRepo()}; a rejected push is fetched again and retried`,
          'the GitOps controller deploys it on its next sync',
        ],
      };
    });
  }

  async preflight(to: string): Promise<PreflightResult> {
    return this.serially(async () => {
      const h = await this.history();
      if (!h.ok) return { ok: false, checks: [{ name: 'repository readable', ok: false, detail: h.message }] };
      const current = h.value[0]?.value ?? null;
      const seen = h.value.some((c) => c.value === to);
      const checks: PreflightCheck[] = [
        { name: 'value present', ok: current !== null, detail: current !== null ? `${this.opts.path} is ${current}` : `${this.opts.file} has no scalar at ${this.opts.path}` },
        {
          name: 'target version deployed before',
          ok: seen,
          detail: seen ? `${to} appears in the history of ${this.opts.file}` : `${to} never appeared at ${this.opts.path} in the last ${this.opts.historyDepth} commits of ${this.opts.file}`,
        },
      ];
      return { ok: checks.every((c) => c.ok), checks };
    });
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    return this.serially(async () => {
      const synced = await this.sync();
      if (!synced.ok) return { ok: false, retryable: synced.retryable, message: synced.message };
      const done = await this.findKey(req.idempotencyKey);
      if (!done.ok) return { ok: false, retryable: done.retryable, message: done.message };
      if (done.value) return { ok: true, version: req.to, detail: `commit ${done.value.slice(0, 12)} already carries ${TRAILER.key}: ${req.idempotencyKey}; nothing pushed`, alreadyApplied: true };

      const h = await this.history({ synced: true });
      if (!h.ok) return { ok: false, retryable: h.retryable, message: h.message };
      // The clone is the remote's branch as just fetched: what is in the file now is what deploys.
      const file = join(this.opts.workdir, this.opts.file);
      const source = existsSync(file) ? await readFile(file, 'utf8') : '';
      const from = scalarAt(source, this.keys);
      if (from === null) return { ok: false, retryable: false, message: `${this.opts.file} has no scalar at ${this.opts.path} on ${this.opts.branch}` };
      if (hasMoved(req.expectedFrom, from)) return targetMoved(this.describe(), from, req.expectedFrom);
      if (!h.value.some((c) => c.value === req.to)) {
        return { ok: false, retryable: false, message: `${req.to} never appeared at ${this.opts.path} in the last ${this.opts.historyDepth} commits of ${this.opts.file}: refusing to deploy an unknown version` };
      }
      if (from === req.to) return { ok: true, version: req.to, detail: `${this.opts.path} is already ${req.to}; nothing pushed`, alreadyApplied: true };

      const edited = spliceScalar(source, this.keys, req.to);
      if (!edited.ok) return { ok: false, retryable: false, message: `${this.opts.file} ${edited.message}` };
      await writeFile(file, edited.text);
      const committed = await this.git.run(['commit', '-q', '--no-verify', '-F', '-', '--', this.opts.file], { cwd: this.opts.workdir, input: this.message(req, from) });
      if (!committed.ok) {
        await this.resetToRemote();
        const f = this.classify(committed, 'git commit');
        return { ok: false, retryable: f.retryable, message: f.message };
      }
      const pushed = await this.push();
      if (!pushed.ok) {
        // Leave nothing local behind: the next attempt starts again from the remote.
        await this.resetToRemote();
        return { ok: false, retryable: pushed.retryable, message: pushed.message };
      }
      return { ok: true, version: req.to, detail: `pushed ${pushed.value.slice(0, 12)} to ${this.opts.branch}: ${this.opts.path} ${from} → ${req.to} in ${this.opts.file}`, alreadyApplied: false };
    });
  }

  async readBack(to: string): Promise<ReadBack> {
    return this.serially(async () => {
      const h = await this.history();
      if (!h.ok) return { confirmed: false, version: null, detail: h.message };
      const version = h.value[0]?.value ?? null;
      return { confirmed: version === to, version, detail: `${this.opts.branch} has ${this.opts.path}: ${version ?? '(missing)'}; the GitOps controller deploys it on its next sync` };
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private get remoteRef(): string {
    return `refs/remotes/origin/${this.opts.branch}`;
  }

  /** Clone when needed, fetch the branch, and make the work tree exactly the remote's. */
  private async sync(): Promise<Step<void>> {
    const dir = this.opts.workdir;
    if (!existsSync(join(dir, '.git'))) {
      await mkdir(dirname(dir), { recursive: true });
      const cloned = await this.git.run(['clone', '-q', '--no-tags', '--single-branch', '--branch', this.opts.branch, '--', this.opts.repo, dir]);
      if (!cloned.ok) return this.classify(cloned, 'git clone');
    }
    // The policy may have moved the repository since the clone was made.
    const remote = await this.git.run(['remote', 'set-url', 'origin', this.opts.repo], { cwd: dir });
    if (!remote.ok) return this.classify(remote, 'git remote set-url');
    const fetched = await this.git.run(['fetch', '-q', '--no-tags', 'origin', `+refs/heads/${this.opts.branch}:${this.remoteRef}`], { cwd: dir });
    if (!fetched.ok) return this.classify(fetched, 'git fetch');
    return this.resetToRemote();
  }

  private async resetToRemote(): Promise<Step<void>> {
    const reset = await this.git.run(['checkout', '-q', '-f', '-B', this.opts.branch, this.remoteRef], { cwd: this.opts.workdir });
    return reset.ok ? { ok: true, value: undefined } : this.classify(reset, 'git checkout');
  }

  /** The file's value at each commit that touched it, newest first. */
  private async history(opts: { synced?: boolean } = {}): Promise<Step<Change[]>> {
    if (!opts.synced) {
      const synced = await this.sync();
      if (!synced.ok) return synced;
    }
    const log = await this.git.run(
      ['log', `-n${this.opts.historyDepth}`, `--format=%H${FIELD}%cI${FIELD}%(trailers:key=${TRAILER.from},valueonly,separator=%x2C)${RECORD}`, this.remoteRef, '--', this.opts.file],
      { cwd: this.opts.workdir },
    );
    if (!log.ok) return this.classify(log, 'git log');
    const commits = log.stdout.split(RECORD).map((r) => r.trim()).filter(Boolean).map((r) => r.split(FIELD));
    if (commits.length === 0) return { ok: false, retryable: false, message: `${this.opts.file} does not exist on ${this.opts.branch} of ${this.safeRepo()}` };
    const specs = commits.map(([sha]) => `${sha ?? ''}:${this.opts.file}`);
    const blobs = await this.git.run(['cat-file', '--batch'], { cwd: this.opts.workdir, input: `${specs.join('\n')}\n` });
    if (!blobs.ok) return this.classify(blobs, 'git cat-file');
    const texts = parseCatFileBatch(blobs.raw, specs.length);
    return {
      ok: true,
      value: commits.map(([sha, at, from], i) => ({
        sha: sha ?? '',
        at: new Date(at ?? 0),
        value: this.valueIn(texts[i] ?? null),
        rolledBackFrom: from ? from : null,
      })),
    };
  }

  private valueIn(text: string | null): string | null {
    return text === null ? null : scalarAt(text, this.keys);
  }

  /** The newest earlier value that no Backstop rollback moved away from. */
  private lastGood(changes: Change[], current: string | null): string | null {
    const fled = new Set(changes.map((c) => c.rolledBackFrom).filter((v): v is string => v !== null));
    for (const c of changes) {
      if (c.value === null || c.value === current || fled.has(c.value)) continue;
      return c.value;
    }
    return null;
  }

  /** When the current value was committed (the oldest commit of the newest run of it). */
  private introducedAt(changes: Change[]): Date | null {
    const current = changes[0]?.value;
    let at: Date | null = null;
    for (const c of changes) {
      if (c.value !== current) break;
      at = c.at;
    }
    return at;
  }

  private async findKey(key: string): Promise<Step<string | null>> {
    const log = await this.git.run(['log', '-F', `--grep=${key}`, `--format=%H${FIELD}%(trailers:key=${TRAILER.key},valueonly,separator=%x2C)${RECORD}`, this.remoteRef], { cwd: this.opts.workdir });
    if (!log.ok) return this.classify(log, 'git log');
    for (const rec of log.stdout.split(RECORD)) {
      const [sha, values] = rec.trim().split(FIELD);
      if (sha && (values ?? '').split(',').map((v) => v.trim()).includes(key)) return { ok: true, value: sha };
    }
    return { ok: true, value: null };
  }

  private message(req: ExecuteRequest, from: string): string {
    const line = (s: string) => oneLine(s).slice(0, 200);
    return [
      `Roll back ${this.opts.service}: ${this.opts.path} ${from} -> ${req.to}`,
      '',
      clip(req.reason, 2000),
      '',
      `${TRAILER.approvedBy}: ${line(req.actor)}`,
      `${TRAILER.proposal}: ${line(req.idempotencyKey)}`,
      `${TRAILER.from}: ${line(from)}`,
      `${TRAILER.key}: ${line(req.idempotencyKey)}`,
      '',
    ].join('\n');
  }

  private async push(): Promise<Step<string>> {
    const head = await this.git.run(['rev-parse', 'HEAD'], { cwd: this.opts.workdir });
    const pushed = await this.git.run(['push', '--porcelain', 'origin', `HEAD:refs/heads/${this.opts.branch}`], { cwd: this.opts.workdir });
    if (pushed.ok) return { ok: true, value: head.ok ? head.stdout.trim() : '' };
    if (pushed.timedOut) return { ok: false, retryable: true, message: this.redact(`git push to ${this.safeRepo()} did not finish within ${this.opts.timeoutMs} ms`) };
    // --porcelain prints one `<flag>\t<from>:<to>\t<summary>` line per ref; `!` is a rejection.
    const refLine = pushed.stdout.split('\n').find((l) => l.startsWith('!'));
    const summary = refLine?.split('\t')[2] ?? '';
    const remote = pushed.stderr.split('\n').filter((l) => l.startsWith('remote:')).map((l) => l.slice('remote:'.length).trim()).filter(Boolean).join(' ');
    if (summary.startsWith('[rejected]')) {
      return { ok: false, retryable: true, message: `someone pushed to ${this.opts.branch} first ${summary.replace('[rejected]', '').trim()}; the next attempt fetches and applies the change again` };
    }
    // Another push won the ref lock while ours was in flight: the same race, caught server-side.
    if (summary.startsWith('[remote rejected]') && /failed to (update|lock) ref/.test(summary)) {
      return { ok: false, retryable: true, message: `someone pushed to ${this.opts.branch} at the same moment ${summary.replace('[remote rejected]', '').trim()}; the next attempt fetches and applies the change again` };
    }
    if (summary.startsWith('[remote rejected]')) {
      return { ok: false, retryable: false, message: this.redact(`${this.safeRepo()} refused the push ${summary.replace('[remote rejected]', '').trim()}${remote ? `: ${clip(remote)}` : ''}`) };
    }
    return this.classify(pushed, 'git push');
  }

  private classify(r: GitResult, what: string): { ok: false; retryable: boolean; message: string } {
    if (r.ok) return { ok: false, retryable: false, message: `${what}: unexpected success` };
    if (r.timedOut) return { ok: false, retryable: true, message: this.redact(`${what} did not finish within ${this.opts.timeoutMs} ms`) };
    const said = oneLine(r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('hint:')).join(' ')) || `exit code ${r.code ?? '?'}`;
    const retryable = TRANSIENT.test(r.stderr) && !PERMANENT.test(r.stderr);
    return { ok: false, retryable, message: this.redact(`${what} failed: ${clip(said)}`) };
  }

  // Clone URLs may carry credentials in userinfo; show the rest.
  private safeRepo(): string {
    try {
      const u = new URL(this.opts.repo);
      return `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      return this.opts.repo.replace(/^[^@/]+@(?=[^:]+:)/, '');
    }
  }
}
