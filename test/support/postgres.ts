/**
 * A real PostgreSQL server for one test file: initdb into a temporary directory, `postgres` on a
 * free loopback port, stopped (and the directory removed) by `stop()`, or killed with the worker
 * through the children registry if no afterAll gets there. PostgreSQL refuses to run as root,
 * so as root the server runs as the `postgres` user Debian's package creates.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isRunning, stopChild, track } from './children.js';
import { freePort } from './net.js';

/** Debian installs the server binaries off PATH, under /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string | undefined {
  if (process.env.BACKSTOP_PG_BIN) return process.env.BACKSTOP_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(root, majors[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function postgresInstalled(): boolean {
  const dir = postgresBinDir();
  return dir !== undefined && existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'));
}

/** Who runs the server: ourselves, or the `postgres` user when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export class PostgresServer {
  private schemas = 0;
  private admin: pg.Pool | undefined;

  private constructor(private readonly proc: ChildProcess, private readonly dir: string, readonly port: number) {}

  /** A URL for `database`, optionally confined to `schema` through search_path. */
  url(opts: { database?: string; schema?: string } = {}): string {
    const base = `postgres://postgres@127.0.0.1:${this.port}/${opts.database ?? 'postgres'}`;
    return opts.schema ? `${base}?options=${encodeURIComponent(`-c search_path=${opts.schema}`)}` : base;
  }

  /** Runs SQL as the superuser on the `postgres` database (setup and tampering in tests). */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    this.admin ??= new pg.Pool({ connectionString: this.url(), max: 2 });
    return this.admin.query(text, values);
  }

  /** A new empty schema and a URL confined to it: a fresh Backstop database in a few milliseconds. */
  async freshSchema(): Promise<{ schema: string; url: string }> {
    const schema = `t${++this.schemas}_${process.pid}`;
    await this.query(`CREATE SCHEMA ${schema}`);
    return { schema, url: this.url({ schema }) };
  }

  static async start(): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql; or set BACKSTOP_PG_BIN)');
    const user = serverUser();
    // As root the server's user must reach the directory: a private TMPDIR would stop it at the door.
    const dir = mkdtempSync(join(user ? '/tmp' : tmpdir(), 'backstop-pg-'));
    if (user) chownSync(dir, user.uid, user.gid);
    const data = join(dir, 'data');
    const as: SpawnOptions = { ...user, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } };
    await exited(spawn(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'], { ...as, stdio: ['ignore', 'ignore', 'pipe'] }), 'initdb');
    // A free port can be taken between the probe and the bind: try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const proc = track(spawn(join(bin, 'postgres'), [
        '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
        // A test server: durability off, it is thrown away.
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=32MB', '-c', 'max_connections=200',
      ], { ...as, stdio: ['ignore', 'ignore', 'pipe'] }));
      try {
        await ready(proc);
        return new PostgresServer(proc, dir, port);
      } catch (e) {
        await stopChild(proc, 1_000);
        if (attempt >= 3 || !/could not (bind|create listen)/i.test(String(e))) {
          await rm(dir, { recursive: true, force: true });
          throw e;
        }
      }
    }
  }

  /** Immediate shutdown (nothing to keep), then the data directory goes. */
  async stop(): Promise<void> {
    await this.admin?.end().catch(() => undefined);
    if (isRunning(this.proc)) {
      const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
      this.proc.kill('SIGQUIT');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    await stopChild(this.proc, 1_000);
    await rm(this.dir, { recursive: true, force: true });
  }
}

function collect(proc: ChildProcess): () => string {
  let text = '';
  proc.stderr?.on('data', (b: Buffer) => (text = (text + b.toString()).slice(-4_000)));
  return () => text;
}

async function exited(proc: ChildProcess, what: string): Promise<void> {
  const log = collect(proc);
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`${what} failed (exit ${code}): ${log()}`);
}

/** Resolves when the server logs that it accepts connections. */
function ready(proc: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const log = collect(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`postgres did not start within ${timeoutMs} ms: ${log()}`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    proc.once('error', fail);
    proc.once('exit', (code) => fail(new Error(`postgres exited (${code}): ${log()}`)));
    proc.stderr?.on('data', () => {
      if (log().includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
