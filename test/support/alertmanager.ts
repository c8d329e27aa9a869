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

/** A real Alertmanager (Debian package) whose webhook receiver points at the bot. */
export class RealAlertmanager {
  private proc?: ChildProcess;
  url = '';

  async start(webhookUrl: string, token: string): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-am-'));
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(config, [
      'route:',
      '  receiver: backstop',
      '  group_by: [alertname, service]',
      '  group_wait: 1s',
      '  group_interval: 2s',
      '  repeat_interval: 4s',
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

  /** SIGTERM, then SIGKILL if Alertmanager has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.proc) await stopChild(this.proc);
  }
}
