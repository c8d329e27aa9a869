/**
 * Who the bot is in Slack (`auth.test`), learned in the background: start-up never waits on
 * Slack, so the first call is retried with backoff until Slack answers. Bolt's `authorize` hands
 * out the bot token at once, with the bot's ids once they are known (Bolt only uses them to ignore
 * the bot's own events). The last answer or failure is what readiness reports.
 */
import type { AuthorizeResult } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../ports/clock.js';

export interface WebApiState {
  answered: boolean;
  /** Since when it has answered, or has not (ISO). */
  since: string;
  /** `@name` in `team` once answered; else the last failure. */
  detail: string;
}

export class BotIdentity {
  private ids: { botId?: string; botUserId?: string } = {};
  private current: WebApiState;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: { client: WebClient; botToken: string; clock: Clock; log: Logger; backoffMs?: number; maxBackoffMs?: number }) {
    this.current = { answered: false, since: opts.clock.now().toISOString(), detail: 'auth.test not answered yet' };
  }

  /** Asks Slack in the background until it answers. */
  start(): void {
    this.stopped = false;
    void this.probe(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  get state(): WebApiState {
    return { ...this.current };
  }

  /** Bolt's `authorize`: never a Slack call on the path of an ack. */
  readonly authorize = async (): Promise<AuthorizeResult> => ({ botToken: this.opts.botToken, ...this.ids });

  private async probe(failures: number): Promise<void> {
    if (this.stopped) return;
    try {
      const r = await this.opts.client.auth.test();
      this.ids = { ...(r.bot_id ? { botId: r.bot_id } : {}), ...(r.user_id ? { botUserId: r.user_id } : {}) };
      this.current = { answered: true, since: this.opts.clock.now().toISOString(), detail: `answered as @${r.user ?? r.user_id ?? 'bot'} in ${r.team ?? r.team_id ?? 'the workspace'}` };
      this.opts.log.info({ botUserId: r.user_id, team: r.team_id }, 'Slack Web API answered');
    } catch (err) {
      const wait = Math.min(this.opts.maxBackoffMs ?? 30_000, (this.opts.backoffMs ?? 500) * 2 ** failures);
      const reason = err instanceof Error ? err.message : String(err);
      if (failures === 0) this.opts.log.warn({ reason }, 'Slack Web API not answering; Slack messages wait in the outbox');
      this.current = { answered: false, since: this.current.answered ? this.opts.clock.now().toISOString() : this.current.since, detail: `auth.test failed: ${reason}` };
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.probe(failures + 1), wait);
      this.timer.unref();
    }
  }
}
