import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isRunning, stopChild, track } from './children.js';
import { freePort } from './net.js';

const run = promisify(execFile);
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const AMTOOL_BIN = '/usr/bin/amtool';

/** Route timings (Alertmanager durations such as `1s`, `500ms`). */
export interface RouteTiming {
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

/** A real Alertmanager (Debian package) whose webhook receiver points at the bot. */
export class RealAlertmanager {
  private proc?: ChildProcess;
  url = '';

  async start(webhookUrl: string, token: string, timing: RouteTiming = {}): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-am-'));
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(config, [
      'route:',
      '  receiver: backstop',
      '  group_by: [alertname, service]',
      `  group_wait: ${timing.groupWait ?? '1s'}`,
      `  group_interval: ${timing.groupInterval ?? '2s'}`,
      `  repeat_interval: ${timing.repeatInterval ?? '4s'}`,
      'receivers:',
      '  - name: backstop',
      '    webhook_configs:',
      `      - url: ${webhookUrl}`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      `            credentials: ${token}`,
      '',
    ].join('\n'));
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    // Tracked: killed when the test worker ends, even if no afterAll gets to call stop().
    const proc = track(spawn(ALERTMANAGER_BIN, [`--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: 'ignore' }));
    this.proc = proc;
    let spawnError: Error | undefined;
    proc.once('error', (err) => {
      spawnError = err;
    });
    for (let i = 0; i < 100; i++) {
      if (spawnError || !isRunning(proc)) break;
      try {
        if ((await fetch(`${this.url}/-/ready`)).ok) return;
      } catch {
        // starting
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`alertmanager did not become ready${spawnError ? `: ${spawnError.message}` : ''}`);
  }

  /** `amtool alert add`; an `end` at or before now resolves the alert. */
  async add(name: string, labels: Record<string, string>, opts: { summary?: string; start?: string; end?: string } = {}): Promise<void> {
    const args = [`--alertmanager.url=${this.url}`, 'alert', 'add', name, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
    if (opts.summary) args.push(`--annotation=summary=${opts.summary}`);
    if (opts.start) args.push(`--start=${opts.start}`);
    if (opts.end) args.push(`--end=${opts.end}`);
    await run(AMTOOL_BIN, args, { timeout: 30_000, killSignal: 'SIGKILL' });
  }

  /** Several alerts in one API call, so their groups start (and flush) together. */
  async post(alerts: { labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string }[]): Promise<void> {
    const res = await fetch(`${this.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    if (!res.ok) throw new Error(`alertmanager refused the alerts: ${res.status} ${await res.text()}`);
  }

  /** A sample of Alertmanager's own /metrics, e.g. `alertmanager_notifications_total{integration="webhook"}`; 0 when absent. */
  async metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    for (const line of text.split('\n')) {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (m?.[1] !== name) continue;
      const have = (m[2] ?? '').split(',');
      if (wanted.every((w) => have.includes(w))) return Number(m[3]);
    }
    return 0;
  }

  /** SIGTERM, then SIGKILL if Alertmanager has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.proc) await stopChild(this.proc);
  }
}
