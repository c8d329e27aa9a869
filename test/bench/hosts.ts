/**
 * The runner's side of the processes it measures: a server under test in its own process
 * (host.ts, talked to over IPC), and the Slack workspace it posts to (the emulator's host), with
 * clicks signed as Slack signs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { ACTION_APPROVE } from '../../src/slack/ids.js';
import { buildBlockActionsBody, slackFormHeaders } from '../../src/slack/signing.js';
import { SIGNING_SECRET, type HostConfig, type HostMessage, type HostRequest, type HostStats, type MintRequest } from './common.js';
import type { Client } from './load.js';
import { HOST, OUT, PROFILE, ROOT, WORK } from './settings.js';

// ---------------------------------------------------------------------------------------------
// A server under test in its own process

/** What the load needs of a server: where it is, and a way to wait for its background work (a no-op when it cannot tell). */
export interface Target {
  url: string;
  settle(): Promise<unknown>;
}

export class Host {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (err: Error) => void }>();
  private readonly executes: { service: string; hr: bigint }[] = [];
  private waiter: { service: string; resolve: (hr: bigint) => void } | undefined;
  url = '';
  readyMs = 0;
  spawnToReadyMs = 0;
  onEvent?: (m: Extract<HostMessage, { type: 'proposal' | 'ephemeral' }>) => void;
  private stopping = false;

  private constructor(private readonly child: ChildProcess, readonly label: string) {}

  /** For /proc/<pid>/status (peak RSS). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  static start(label: string, cfg: HostConfig): Promise<Host> {
    const args = ['--import', 'tsx', HOST];
    // One folder per process: tsx's loader thread writes a profile of its own next to the main thread's.
    if (PROFILE && cfg.kind === 'backstop') args.unshift('--cpu-prof', `--cpu-prof-dir=${join(OUT, 'profiles', label)}`);
    // A file, not the environment: the policy alone is larger than one variable may be.
    const cfgFile = join(WORK, `host-${label}.json`);
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const t0 = performance.now();
    // The PostgreSQL host gets a process group of its own: Ctrl-C ends the runner, and the host, seeing
    // the runner gone, stops the server properly instead of dying with it.
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, BENCH_HOST: cfgFile }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: cfg.kind === 'postgres' });
    const host = new Host(child, label);
    // A host that fails or dies fails whatever waits on it, instead of leaving the run hanging.
    const fail = (err: Error) => {
      for (const p of host.pending.values()) p.reject(err);
      host.pending.clear();
    };
    return new Promise((resolveStart, reject) => {
      child.once('exit', (code) => {
        if (host.stopping) return;
        const err = new Error(`${label} exited (${code})`);
        reject(err);
        fail(err);
      });
      child.on('message', (m: HostMessage) => {
        if (m.type === 'ready') {
          host.url = m.url;
          host.readyMs = m.readyMs;
          host.spawnToReadyMs = performance.now() - t0;
          resolveStart(host);
        } else if (m.type === 'reply') {
          host.pending.get(m.id)?.resolve(m.value);
          host.pending.delete(m.id);
        } else if (m.type === 'proposal' || m.type === 'ephemeral') {
          host.onEvent?.(m);
        } else if (m.type === 'execute') {
          const hr = BigInt(m.hr);
          if (host.waiter && host.waiter.service === m.service) {
            host.waiter.resolve(hr);
            host.waiter = undefined;
          } else {
            host.executes.push({ service: m.service, hr });
          }
        } else {
          const err = new Error(`${label}: ${m.message}`);
          reject(err);
          fail(err);
        }
      });
    });
  }

  call(cmd: 'settle' | 'stats' | 'stop' | 'clock' | 'schema'): Promise<unknown>;
  call(cmd: 'sql', args: { text: string; values?: unknown[] }): Promise<unknown>;
  call(cmd: 'mint', args: MintRequest): Promise<unknown>;
  call(cmd: 'quiet', args: { ms: number }): Promise<unknown>;
  call(cmd: 'calls', args: { since: string }): Promise<unknown>;
  call(cmd: HostRequest['cmd'], args?: unknown): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  settle(): Promise<unknown> {
    return this.call('settle');
  }

  async stats(): Promise<HostStats> {
    return (await this.call('stats')) as HostStats;
  }

  /** The next call of the adapter's execute for `service` (monotonic ns, comparable with ours). */
  nextExecute(service: string, timeoutMs = 10_000): Promise<bigint> {
    const i = this.executes.findIndex((e) => e.service === service);
    if (i >= 0) return Promise.resolve(this.executes.splice(i, 1)[0]!.hr);
    return new Promise((resolveExec, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no execute for ${service} within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = { service, resolve: (hr) => { clearTimeout(timer); resolveExec(hr); } };
    });
  }

  forgetExecutes(): void {
    this.executes.length = 0;
  }

  /** Both processes read CLOCK_MONOTONIC through process.hrtime; check that before trusting cross-process intervals. */
  async checkClock(): Promise<void> {
    const before = process.hrtime.bigint();
    const theirs = BigInt((await this.call('clock')) as string);
    const after = process.hrtime.bigint();
    if (theirs < before || theirs > after) throw new Error('the host process has a different monotonic clock; cross-process latencies would be wrong');
  }

  async stop(): Promise<void> {
    // Already gone (it failed): nothing would answer.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.stopping = true;
    await this.call('stop');
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// The Slack side: the emulator (in its own process), and clicks signed as Slack signs them

export class Workspace {
  private readonly proposalWaiters = new Map<string, (hr: bigint, message: SlackMessage) => void>();
  private readonly ephemeralWaiters = new Map<string, () => void>();

  /** Every proposal as it arrives (the storm counts them). */
  onProposal?: (channel: string, hr: bigint) => void;

  constructor(private readonly slack: Host) {
    slack.onEvent = (m) => {
      if (m.type === 'proposal') {
        this.onProposal?.(m.channel, BigInt(m.hr));
        this.proposalWaiters.get(m.channel)?.(BigInt(m.hr), m.message as SlackMessage);
        this.proposalWaiters.delete(m.channel);
      } else {
        const key = `${m.channel}/${m.user}`;
        this.ephemeralWaiters.get(key)?.();
        this.ephemeralWaiters.delete(key);
      }
    };
  }

  /** Web API base URL of the emulator. */
  get url(): string {
    return this.slack.url;
  }

  /** The next top-level message with an Approve button in `channel`: when the emulator received it (monotonic ns), and the message. */
  proposalIn(channel: string, timeoutMs = 10_000): Promise<{ at: bigint; message: SlackMessage }> {
    return new Promise((resolveP, reject) => {
      const timer = setTimeout(() => reject(new Error(`no proposal in ${channel} within ${timeoutMs} ms`)), timeoutMs);
      this.proposalWaiters.set(channel, (at, message) => {
        clearTimeout(timer);
        resolveP({ at, message });
      });
    });
  }

  ephemeralTo(channel: string, user: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolveE, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ephemeral to ${user} in ${channel}`)), timeoutMs);
      this.ephemeralWaiters.set(`${channel}/${user}`, () => {
        clearTimeout(timer);
        resolveE();
      });
    });
  }

  /** Waits until the emulator has had no API call for `ms`, so one measurement's Slack traffic never lands in the next. */
  async quiet(ms = 50): Promise<void> {
    await this.slack.call('quiet', { ms });
  }

  /** The block_actions bodies of `users` pressing Approve on `message`, with trigger ids and response URLs minted by the emulator. */
  async clickBodies(users: readonly { id: string; name: string }[], channel: { id: string; name: string }, message: SlackMessage): Promise<string[]> {
    const minted = (await this.slack.call('mint', { channel: channel.id, messageTs: message.ts, users: users.map((u) => u.id) })) as { triggerId: string; responseUrl: string }[];
    return users.map((u, k) => buildBlockActionsBody({
      user: { id: u.id, username: u.name },
      team: { id: 'T0BACKSTOP', domain: 'backstop' },
      apiAppId: 'A0BACKSTOP',
      channel,
      message: message as unknown as { ts: string; blocks?: unknown },
      actionId: ACTION_APPROVE,
      actionTs: `${Math.floor(Date.now() / 1000)}.000100`,
      triggerId: minted[k]!.triggerId,
      responseUrl: minted[k]!.responseUrl,
    }));
  }

  async clickBody(user: { id: string; name: string }, channel: { id: string; name: string }, message: SlackMessage): Promise<string> {
    return (await this.clickBodies([user], channel, message))[0]!;
  }
}

/** Signs at send time, as Slack does. */
export function click(client: Client, body: string) {
  return client.send('/slack/events', body, slackFormHeaders(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)));
}
