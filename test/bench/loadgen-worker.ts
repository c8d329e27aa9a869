/**
 * One load-generator process (started by loadgen.ts): a closed loop of Alertmanager deliveries or
 * plain POSTs against a URL, so the load never shares an event loop (or a core's worth of CPU)
 * with the runner. Reports what completed and its own CPU share over the window.
 */
import { alertmanagerBody } from './common.js';
import { Client, closedLoop } from './load.js';
import type { LoadSpec, LoadResult } from './loadgen.js';

process.on('message', (m: { id: number; spec: LoadSpec }) => {
  void run(m.spec).then(
    (result) => process.send?.({ id: m.id, result }),
    (err: unknown) => process.send?.({ id: m.id, error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));

let seq = 0;

async function run(spec: LoadSpec): Promise<LoadResult> {
  const client = new Client(spec.url, spec.concurrency);
  // Fingerprints unique across workers and runs: the worker's prefix, then a counter.
  const body = () => alertmanagerBody(spec.service, Array.from({ length: spec.alertsPerPayload }, () => `${spec.prefix}${(seq++).toString(16).padStart(14, '0')}`), spec.startsAt);
  const r = await closedLoop(client, spec.path, spec.headers, body, spec.concurrency, spec.seconds);
  client.close();
  // Only the count leaves the process: the runner checks it against the rows.
  const reportedNew = r.replies.reduce((n, b) => n + Number((JSON.parse(b) as { new?: number }).new ?? 0), 0);
  return { requests: r.requests, failed: r.failed, seconds: r.seconds, cpu: r.clientCpu, reportedNew };
}
process.send?.({ ready: true });
