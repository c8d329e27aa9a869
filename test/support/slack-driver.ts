import type { SlackEmulator, SlackMessage } from '../../src/sandbox/slack-emulator.js';
import { buildBlockActionsBody, buildSlashCommandBody, slackFormHeaders } from '../../src/slack/signing.js';

/** Plays Slack's part towards the bot: signed requests built exactly as Slack sends them. */
export class SlackDriver {
  constructor(
    private readonly emu: SlackEmulator,
    private readonly botUrl: string,
    private readonly signingSecret: string,
    private readonly team = { id: 'T0BACKSTOP', domain: 'backstop' },
  ) {}

  async post(body: string, opts: { ts?: number; secret?: string; retryNum?: number } = {}): Promise<Response> {
    const ts = opts.ts ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { ...slackFormHeaders(opts.secret ?? this.signingSecret, body, ts) };
    if (opts.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(opts.retryNum);
      headers['x-slack-retry-reason'] = 'http_timeout';
    }
    return fetch(`${this.botUrl}/slack/events`, { method: 'POST', headers, body });
  }

  clickBody(user: { id: string; name: string }, channel: { id: string; name: string }, message: SlackMessage, actionId: string): string {
    return buildBlockActionsBody({
      user: { id: user.id, username: user.name },
      team: this.team,
      apiAppId: 'A0BACKSTOP',
      channel,
      message: message as unknown as { ts: string; blocks?: unknown },
      actionId,
      actionTs: `${Math.floor(Date.now() / 1000)}.000100`,
      triggerId: this.emu.triggerId(user.id),
      responseUrl: this.emu.responseUrl(channel.id, user.id, { messageTs: message.ts }),
    });
  }

  async click(user: { id: string; name: string }, channel: { id: string; name: string }, message: SlackMessage, actionId: string, opts: { retryNum?: number } = {}): Promise<Response> {
    return this.post(this.clickBody(user, channel, message, actionId), opts);
  }

  async command(user: { id: string; name: string }, channel: { id: string; name: string }, text: string): Promise<Response> {
    return this.post(buildSlashCommandBody({
      team: this.team, channel, user: { id: user.id, username: user.name }, command: '/backstop', text,
      apiAppId: 'A0BACKSTOP', responseUrl: this.emu.responseUrl(channel.id, user.id), triggerId: this.emu.triggerId(user.id),
    }));
  }
}
