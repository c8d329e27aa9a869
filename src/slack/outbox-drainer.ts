import type { KnownBlock } from '@slack/types';
import type { Deps } from '../app/deps.js';
import { ChatError, outboxMetadata, type ChatMessage } from '../ports/chat.js';
import type { OutboxItem } from '../ports/store.js';
import { foldSteps, markFoldedSent } from './fold-steps.js';
import { findIfInFlight } from './in-flight.js';
import { pagerDutyNoteText } from './pagerduty-note.js';
import { stepMessage } from './views/step-message.js';
import { sendUpload } from './send-upload.js';
import { linkHeaderToProposal, sendIncidentHeader, sendUnderHeader, waitForHeader } from './send-incident-header.js';

const MAX_BACKOFF_MS = 60_000;

export interface DrainerOptions {
  /** Minimum spacing of messages in one channel once its burst is used (Slack: about 1 s). */
  channelIntervalMs: number;
  /** Messages a quiet channel may take at once before pacing starts. */
  channelBurst: number;
}

export const SLACK_PACING: DrainerOptions = { channelIntervalMs: 1000, channelBurst: 3 };

/**
 * Sends queued Slack messages: the head of each thread (or channel) in order, most urgent
 * stream first, paced per channel. A failure backs off that stream only and keeps the item;
 * a 429 waits Retry-After. Nothing is dropped, and a slow Slack never holds up a rollback
 * (its state and audit rows committed before the message was queued).
 *
 * Exactly once across crashes and failovers: an item is marked in flight before it is posted, and
 * posted with its outbox id as Slack message metadata. One still in flight when its sender died
 * (or whose post failed without a clear answer) is first looked for in Slack; found, it is marked
 * sent (a proposal's message ts recorded) without posting it again.
 */
export class OutboxDrainer {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;
  /** Token bucket per channel: tokens left and when they were counted. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly deps: Omit<Deps, 'kickOutbox'>,
    private readonly opts: DrainerOptions = SLACK_PACING,
    /** Asked before each message: a replica that lost its lease (or woke from a pause past it) sends nothing. */
    private readonly mayAct: () => boolean = () => true,
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // A failing store (the database closed under a shutdown) must not become an unhandled rejection.
    this.running = this.drain().catch((err: unknown) => this.deps.log.error({ err }, 'outbox drain failed')).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when the current pass is over (items waiting for a retry or pacing stay queued). */
  async flushed(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Sends again after `stop()`: a replica that regained leadership drains the shared outbox. */
  resume(): void {
    this.stopped = false;
    this.kick();
  }

  private async drain(): Promise<void> {
    const { store, clock, log } = this.deps;
    for (;;) {
      if (this.stopped || !this.mayAct()) return;
      const now = clock.now().getTime();
      let wake = Infinity;
      let item: OutboxItem | undefined;
      for (const h of await store.outbox.heads()) {
        const due = Math.max(Date.parse(h.nextAttemptAt), this.channelReadyAt(h.channelId, now));
        if (due <= now) {
          item = h;
          break;
        }
        wake = Math.min(wake, due);
      }
      if (!item) {
        if (wake < Infinity) this.schedule(wake - now);
        return;
      }
      try {
        await this.send(item);
        this.take(item.channelId, clock.now().getTime());
        await store.outbox.markSent(item.id, clock.now().toISOString());
      } catch (err) {
        const retryAfter = retryAfterMs(err);
        const backoff = retryAfter ?? Math.min(MAX_BACKOFF_MS, 500 * 2 ** item.attempts);
        log.warn({ err: errorText(err), outboxId: item.id, attempts: item.attempts + 1, backoff }, 'slack message failed; will retry');
        await store.outbox.markFailed(item.id, errorText(err), new Date(clock.now().getTime() + backoff).toISOString());
      }
    }
  }

  private channelReadyAt(channel: string | null, now: number): number {
    if (!channel || this.opts.channelIntervalMs <= 0) return 0;
    const b = this.refill(channel, now);
    return b.tokens >= 1 ? 0 : now + (1 - b.tokens) * this.opts.channelIntervalMs;
  }

  private refill(channel: string, now: number) {
    const b = this.buckets.get(channel) ?? { tokens: this.opts.channelBurst, at: now };
    b.tokens = Math.min(this.opts.channelBurst, b.tokens + (now - b.at) / this.opts.channelIntervalMs);
    b.at = now;
    this.buckets.set(channel, b);
    return b;
  }

  private take(channel: string | null, now: number): void {
    if (!channel || this.opts.channelIntervalMs <= 0) return;
    this.refill(channel, now).tokens -= 1;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(ms, 10);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.kick();
    }, Math.max(ms, 10));
    this.timer.unref();
  }

  /**
   * Notes and resolutions go to the PagerDuty incident linked to ours. A failure is audited
   * once and retried with backoff; it never blocks the rollback or the Slack thread.
   */
  private async sendToPagerDuty(item: OutboxItem): Promise<void> {
    const { store, clock, pager } = this.deps;
    const pdIncident = item.incidentId ? await store.incidents.pagerDutyIncident(item.incidentId) : null;
    if (!pager || !pdIncident) return;
    const r = item.kind === 'pagerduty_note' ? await pager.addNote(pdIncident, await pagerDutyNoteText(this.deps.directory, item)) : await pager.resolveIncident(pdIncident);
    if (r.ok) return;
    const giveUp = !r.retryable || item.attempts + 1 >= 8;
    if (item.attempts === 0 || giveUp) {
      await store.tx((tx) => tx.audit.append({
        at: clock.now().toISOString(), incidentId: item.incidentId, proposalId: null, actor: 'backstop',
        action: giveUp ? 'pagerduty.gave_up' : 'pagerduty.failed', details: { kind: item.kind, message: r.message, attempts: item.attempts + 1 },
      }));
    }
    if (giveUp) return;
    throw new PagerDutyFailure(r.message);
  }

  private async send(item: OutboxItem): Promise<void> {
    const { store, chat, clock } = this.deps;
    if (item.kind === 'pagerduty_note' || item.kind === 'pagerduty_resolve') return this.sendToPagerDuty(item);
    if (item.kind === 'upload') return sendUpload(this.deps, item);
    if (item.kind === 'update_incident') return sendIncidentHeader(this.deps, item, (msg) => this.postOnce(item, msg));
    // A step is queued as its fact and worded here; rows queued by older versions carry their text.
    const { text, blocks } = item.payload.step ? stepMessage(item.payload.step) : { text: item.payload.text, blocks: item.payload.blocks as KnownBlock[] | undefined };
    if (item.kind === 'post') {
      if (!item.channelId) return;
      await this.postOnce(item, { channel: item.channelId, text, blocks });
      return;
    }
    if (item.kind === 'thread' && !item.proposalId) return sendUnderHeader(this.deps, item, { text, blocks }, (msg) => this.postOnce(item, msg));
    const proposal = item.proposalId ? await store.proposals.get(item.proposalId) : undefined;
    if (!proposal) return;
    if (item.kind === 'thread') {
      if (!proposal.messageTs) throw new Error('proposal message not posted yet');
      // Steps of the same second go out as one message; the ones behind the head are marked sent here.
      const fold = await foldSteps(store.outbox, item, clock.now());
      const posted = await this.postOnce(item, { channel: proposal.channelId, threadTs: proposal.messageTs, ...(fold?.message ?? { text, blocks }) }, fold?.throughId);
      await markFoldedSent(store.outbox, item, posted.throughId, clock.now().toISOString());
      return;
    }
    // update_proposal: render the latest state once, however many updates are queued.
    // The incident header comes first in the channel (see waitForHeader).
    if (await waitForHeader(this.deps, proposal, item)) throw new Error('waiting for the incident header');
    const latest = (await store.outbox.laterProposalUpdate(proposal.id, item.id)) ?? item.id;
    const view = await this.deps.renderProposal(proposal.id);
    if (!view) return;
    const viewBlocks = view.blocks as KnownBlock[];
    if (proposal.messageTs) {
      await chat.update({ channel: proposal.channelId, ts: proposal.messageTs, text: view.text, blocks: viewBlocks });
    } else {
      const posted = await this.postOnce(item, { channel: proposal.channelId, text: view.text, blocks: viewBlocks });
      await store.proposals.setMessageTs(proposal.id, posted.ts);
      await linkHeaderToProposal(this.deps, proposal);
      // Found from an earlier attempt, it shows the state of then: show the latest.
      if (posted.found) await chat.update({ channel: proposal.channelId, ts: posted.ts, text: view.text, blocks: viewBlocks });
    }
    await store.outbox.markProposalUpdatesSent(proposal.id, latest, clock.now().toISOString());
  }

  /**
   * Posts the item's message unless an earlier attempt already did: an item marked in flight is
   * looked for in Slack first (by the outbox id in the metadata of its message), and one found is
   * not posted again. The mark is committed before the post, so a crash after Slack accepted the
   * message leaves a trace the next sender, this process restarted or another replica, acts on.
   */
  private async postOnce(item: OutboxItem, msg: ChatMessage, throughId = item.id): Promise<{ ts: string; found: boolean; throughId: number }> {
    const { store, chat, clock, log } = this.deps;
    const found = await findIfInFlight(item, log, (since) => chat.findPosted(msg.channel, msg.threadTs, item.id, { since }));
    if (found) {
      log.info({ outboxId: item.id, ts: found.ts }, 'slack message was posted before a restart; not posting it again');
      // A fold found is marked sent as it was posted, whatever would fold now.
      return { ts: found.ts, found: true, throughId: found.throughId ?? item.id };
    }
    await store.outbox.markSending(item.id, clock.now().toISOString());
    const posted = await chat.post({ ...msg, metadata: outboxMetadata(item.id, throughId) });
    // Slack has the message; nothing says so in the store yet.
    this.deps.checkpoint?.('posting');
    return { ts: posted.ts, found: false, throughId };
  }
}

/** Raised so the drain loop backs off; carries whether PagerDuty may succeed later. */
class PagerDutyFailure extends Error {}

function retryAfterMs(err: unknown): number | undefined {
  return err instanceof ChatError ? err.details.retryAfterMs : undefined;
}

function errorText(err: unknown): string {
  if (err instanceof ChatError) return err.details.slackError ?? err.message;
  return err instanceof Error ? err.message : String(err);
}
