/**
 * Processes the runner starts directly (not IPC hosts): servers polled until they answer, their
 * memory read from /proc, the compiled build, the bare Bolt app for the memory baseline, and how
 * busy the machine is.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { constants as osConstants, cpus } from 'node:os';
import { join } from 'node:path';
import type { SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { APPROVERS, BOT_TOKEN, SIGNING_SECRET, service } from './common.js';
import { click, type Host, type Workspace } from './hosts.js';
import { Client } from './load.js';
import { CLICKS, ROOT, WORK, log } from './settings.js';

export function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

/** Servers started by spawnServer and still running: killed if the runner dies (IPC hosts exit by themselves). */
const spawned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of spawned) c.kill('SIGKILL');
  rmSync(WORK, { recursive: true, force: true });
});
// Ctrl-C or a kill ends the runner through 'exit' (above); the hosts see it gone and end too, the
// PostgreSQL host after stopping its server.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(128 + osConstants.signals[signal]));

/** Any HTTP answer (or only a 200, for /healthz) from `url`. */
function answers(url: string, okOnly: boolean): Promise<boolean> {
  return new Promise((r) => {
    const req = get(url, (res) => {
      res.resume();
      r(!okOnly || res.statusCode === 200);
    });
    req.on('error', () => r(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** Spawns a server and polls `readyUrl` every 5 ms: `readyMs` is spawn → first answer (a 200 on /healthz). */
export async function spawnServer(args: string[], env: Record<string, string>, readyUrl: string): Promise<{ pid: number; readyMs: number; stop(): Promise<void> }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-2000);
  });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  for (;;) {
    if (await answers(readyUrl, readyUrl.endsWith('/healthz'))) return { pid: child.pid!, readyMs: performance.now() - t0, stop };
    if (child.exitCode !== null) throw new Error(`node ${args.join(' ').slice(0, 200)} exited with ${child.exitCode} before answering:\n${stderr}`);
    if (performance.now() - t0 > 20_000) {
      await stop();
      throw new Error(`node ${args.join(' ')} not ready after 20 s`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resident set of another process, in MB (Linux). */
export function vmRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The peak resident set of another process since it started (Linux VmHWM): the high-water mark
 * during the load, not a sample after it. Per process image, so a spawned child starts at zero.
 */
export function vmHwm(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The highest RSS over the next `ms` (sampled every 100 ms): one sample lands anywhere in V8's GC cycle. */
export async function settledRss(pid: number, ms = 1000): Promise<number> {
  let max = vmRss(pid);
  for (let t = 0; t < ms; t += 100) {
    await new Promise((r) => setTimeout(r, 100));
    max = Math.max(max, vmRss(pid));
  }
  return max;
}

/** `tsc -p tsconfig.build.json` into `work` (never into dist/): src/main.ts as the Docker image runs it. */
export function compile(work: string): string | undefined {
  const out = join(work, 'build');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) log(r.stdout.split('\n').slice(0, 5).join('\n'));
  if (!existsSync(join(out, 'main.js'))) return undefined;
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}

/** The same bare Bolt app as the ack baseline, as plain JavaScript, after 200 signed clicks: the framework's own footprint. */
export async function bareBoltRss(nodeArgs: string[], ws: Workspace): Promise<number> {
  const port = await freePort();
  const script = `
    import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
    import { createServer } from 'node:http';
    const receiver = new HTTPReceiver({ signingSecret: ${JSON.stringify(SIGNING_SECRET)}, processBeforeResponse: false, logLevel: LogLevel.ERROR });
    const app = new App({ token: ${JSON.stringify(BOT_TOKEN)}, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: ${JSON.stringify(ws.url)} }, deferInitialization: true });
    await app.init();
    app.action(${JSON.stringify(ACTION_APPROVE)}, async ({ ack }) => { await ack(); });
    // As HTTPReceiver.start() does: a request to another path is answered 404, not thrown.
    createServer((req, res) => { try { receiver.requestListener(req, res); } catch { res.writeHead(404).end(); } }).listen(${port}, '127.0.0.1');`;
  const proc = await spawnServer([...nodeArgs, '--input-type=module', '-e', script], { PATH: process.env.PATH ?? '' }, `http://127.0.0.1:${port}/`);
  const s = service(0);
  const message = { type: 'message', ts: '1700000000.000100', channel: s.channel, team: 'T0BACKSTOP', text: 'proposal', blocks: [{ type: 'actions', block_id: 'decision', elements: [{ type: 'button', action_id: ACTION_APPROVE, text: { type: 'plain_text', text: 'Approve' }, value: 'rb-bench' }] }] } as SlackMessage;
  const client = new Client(`http://127.0.0.1:${port}`, CLICKS);
  for (let round = 0; round < 4; round++) {
    const bodies = await ws.clickBodies(APPROVERS, { id: s.channel, name: s.channelName }, message);
    await Promise.all(bodies.map((b) => click(client, b)));
  }
  client.close();
  // The peak over its life, as for Backstop: the same question asked of both.
  const rss = vmHwm(proc.pid);
  await proc.stop();
  return rss;
}

/** Share of all cores busy over `ms` (from the kernel's per-CPU counters): other work on the machine skews every figure. */
export async function machineBusy(ms = 1000): Promise<number> {
  const sample = () => cpus().reduce((acc, c) => ({ idle: acc.idle + c.times.idle, total: acc.total + c.times.idle + c.times.user + c.times.sys + c.times.nice + c.times.irq }), { idle: 0, total: 0 });
  const a = sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = sample();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** The server the PostgreSQL figures ran against: its version and the settings that matter for write speed. */
export async function postgresDetails(pg: Host): Promise<Record<string, unknown>> {
  const rows = (await pg.call('sql', { text: `SELECT version() AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit, current_setting('full_page_writes') AS full_page_writes, current_setting('shared_buffers') AS shared_buffers` })) as Record<string, string>[];
  return { ...rows[0], url: pg.url, connection: 'TCP over loopback, on the same machine as Backstop and the load' };
}
