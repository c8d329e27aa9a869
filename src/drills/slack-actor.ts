/**
 * Plays a person in Slack towards the drill's bot: signed button clicks and the reject modal's
 * submission, built exactly as Slack sends them (the same builders the sandbox console uses).
 */
import type { SlackEmulator, SlackMessage } from '../sandbox/slack-emulator.js';
import { buildBlockActionsBody, slackFormHeaders } from '../slack/signing.js';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_REJECT_REASON, BLOCK_REJECT_REASON, VIEW_REJECT } from '../slack/ids.js';

const TEAM = { id: 'T0BACKSTOP', domain: 'backstop-drill' };
const APP_ID = 'A0BACKSTOP';

export interface SlackPerson {
  id: string;
  name: string;
}

export class SlackActor {
  constructor(
    private readonly emulator: SlackEmulator,
    private readonly botUrl: string,
    private readonly signingSecret: string,
  ) {}

  private async send(body: string): Promise<number> {
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${this.botUrl}/slack/events`, { method: 'POST', headers: { ...slackFormHeaders(this.signingSecret, body, ts) }, body });
    await res.arrayBuffer();
    return res.status;
  }

  click(user: SlackPerson, channel: { id: string; name: string }, message: SlackMessage, actionId: string): Promise<number> {
    return this.send(buildBlockActionsBody({
      user: { id: user.id, username: user.name },
      team: TEAM,
      apiAppId: APP_ID,
      channel,
      message: { ts: message.ts, blocks: message.blocks },
      actionId,
      actionTs: (Date.now() / 1000).toFixed(6),
      triggerId: this.emulator.triggerId(user.id),
      responseUrl: this.emulator.responseUrl(channel.id, user.id, { messageTs: message.ts }),
    }));
  }

  approve(user: SlackPerson, channel: { id: string; name: string }, message: SlackMessage): Promise<number> {
    return this.click(user, channel, message, ACTION_APPROVE);
  }

  /**
   * Clicks Reject, waits for the modal Backstop opens, and submits it with `reason`. When the bot
   * answers the click with an ephemeral instead (someone decided first), there is nothing to submit.
   */
  async reject(user: SlackPerson, channel: { id: string; name: string }, message: SlackMessage, reason: string, timeoutMs = 5_000): Promise<{ submitted: boolean; status: number; refusal?: string }> {
    const views = new Set(this.emulator.views().map((v) => v.id));
    const answered = this.emulator.ephemerals(user.id).length;
    await this.click(user, channel, message, ACTION_REJECT);
    const next = await this.emulator.waitFor(
      (e) => {
        const view = e.views().find((v) => !views.has(v.id) && v.user === user.id && v.view.callback_id === VIEW_REJECT);
        if (view) return { view };
        const reply = e.ephemerals(user.id)[answered];
        return reply ? { refusal: reply.text } : undefined;
      },
      timeoutMs, `reject modal or reply for ${user.name}`,
    );
    const opened = next.view;
    if (!opened) return { submitted: false, status: 200, refusal: next.refusal };
    const payload = {
      type: 'view_submission',
      team: TEAM,
      user: { id: user.id, username: user.name, name: user.name, team_id: TEAM.id },
      api_app_id: APP_ID,
      token: 'drill-verification-token',
      trigger_id: this.emulator.triggerId(user.id),
      view: {
        ...opened.view, id: opened.id, team_id: TEAM.id, app_id: APP_ID, hash: `${Date.now()}.drill`,
        state: { values: { [BLOCK_REJECT_REASON]: { [ACTION_REJECT_REASON]: { type: 'plain_text_input', value: reason } } } },
      },
      response_urls: [],
    };
    return { submitted: true, status: await this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString()) };
  }
}
