import type { Deps } from './deps.js';

const MAX_BACKOFF_MS = 60_000;

/**
 * Sends queued Slack messages one at a time, oldest first, so a thread reads in the
 * order things happened. A failure backs off and retries the same item; nothing is
 * dropped, and a slow Slack never holds up a rollback (those commit before this runs).
 */
export class OutboxDrainer {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: Omit<Deps, 'kickOutbox'>) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when everything queued so far has been sent or is waiting for a retry. */
  async flushed(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async drain(): Promise<void> {
    const { store, clock, log } = this.deps;
    for (;;) {
      const item = store.outbox.head();
      if (!item) return;
      const wait = Date.parse(item.nextAttemptAt) - clock.now().getTime();
      if (wait > 0) {
        this.schedule(wait);
        return;
      }
      try {
        await this.send(item);
        store.outbox.markSent(item.id, clock.now().toISOString());
      } catch (err) {
        const retryAfter = retryAfterMs(err);
        const backoff = retryAfter ?? Math.min(MAX_BACKOFF_MS, 500 * 2 ** item.attempts);
        log.warn({ err: errorText(err), outboxId: item.id, attempts: item.attempts + 1 }, 'slack message failed; will retry');
        store.outbox.markFailed(item.id, errorText(err), new Date(clock.now().getTime() + backoff).toISOString());
        this.schedule(backoff);
        return;
      }
    }
  }

  private schedule(ms: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
    this.timer.unref();
  }

  private async send(item: NonNullable<ReturnType<Deps['store']['outbox']['head']>>): Promise<void> {
    const { store, chat, clock } = this.deps;
    const blocks = item.payload.blocks as Parameters<typeof chat.post>[0]['blocks'];
    if (item.kind === 'post') {
      if (!item.channelId) return;
      await chat.post({ channel: item.channelId, text: item.payload.text, blocks });
      return;
    }
    const proposal = item.proposalId ? store.proposals.get(item.proposalId) : undefined;
    if (!proposal) return;
    if (item.kind === 'thread') {
      if (!proposal.messageTs) throw new Error('proposal message not posted yet');
      await chat.post({ channel: proposal.channelId, threadTs: proposal.messageTs, text: item.payload.text, blocks });
      return;
    }
    // update_proposal: render the latest state once, however many updates are queued.
    const latest = store.outbox.laterProposalUpdate(proposal.id, item.id) ?? item.id;
    const view = this.deps.renderProposal(proposal.id);
    if (!view) return;
    const viewBlocks = view.blocks as Parameters<typeof chat.post>[0]['blocks'];
    if (proposal.messageTs) {
      await chat.update({ channel: proposal.channelId, ts: proposal.messageTs, text: view.text, blocks: viewBlocks });
    } else {
      const posted = await chat.post({ channel: proposal.channelId, text: view.text, blocks: viewBlocks });
      store.tx(() => store.proposals.setMessageTs(proposal.id, posted.ts));
    }
    store.outbox.markProposalUpdatesSent(proposal.id, latest, clock.now().toISOString());
  }
}

function retryAfterMs(err: unknown): number | undefined {
  const e = err as { retryAfter?: unknown; data?: { retryAfter?: unknown } } | undefined;
  const s = typeof e?.retryAfter === 'number' ? e.retryAfter : undefined;
  return s === undefined ? undefined : s * 1000;
}

function errorText(err: unknown): string {
  const e = err as { data?: { error?: string }; message?: string } | undefined;
  return e?.data?.error ?? e?.message ?? String(err);
}
