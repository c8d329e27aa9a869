import type { ReadBackResult } from '../domain/proposal.js';
import type { RollbackAdapter } from '../ports/rollback-adapter.js';
import type { Clock } from '../ports/clock.js';

/**
 * Reads the target back until it reports `to`, says it cannot tell, or `timeoutMs` passes
 * (a Kubernetes rollout or a deploy pipeline takes time). A read that throws counts as "not yet".
 */
export async function awaitReadBack(
  clock: Clock,
  adapter: RollbackAdapter,
  to: string,
  window: { timeoutMs: number; intervalMs: number },
): Promise<ReadBackResult & { polls: number }> {
  const deadline = clock.now().getTime() + window.timeoutMs;
  let polls = 0;
  for (;;) {
    polls++;
    let last: ReadBackResult;
    try {
      const rb = await adapter.readBack(to);
      if (rb.canConfirm === false) return { status: 'unsupported', version: rb.version, detail: rb.detail, polls };
      if (rb.confirmed) return { status: 'confirmed', version: rb.version, detail: rb.detail, polls };
      last = { status: 'mismatch', version: rb.version, detail: rb.detail };
    } catch (err) {
      last = { status: 'unreachable', version: null, detail: `reading the target failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const left = deadline - clock.now().getTime();
    if (left <= 0) {
      const waited = window.timeoutMs >= 1000 ? `${Math.round(window.timeoutMs / 1000)} s` : `${window.timeoutMs} ms`;
      return { ...last, detail: `${last.detail}; still so after ${waited} and ${polls} read${polls === 1 ? '' : 's'}`, polls };
    }
    await clock.sleep(Math.max(1, Math.min(window.intervalMs, left)));
  }
}
