/** The emulator's options with Slack's defaults filled in, split into who the bot is and how strict Slack is. */
import type { Clock } from '../../ports/clock.js';
import type { SlackEmulatorOptions } from './types.js';

/** The workspace and the bot installed in it. */
export interface Identity {
  readonly botToken: string;
  /** The app-level token Socket Mode connects with. */
  readonly appToken: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly teamName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly botName: string;
}

export interface Settings {
  readonly clock: Pick<Clock, 'now'>;
  readonly chatWritePublic: boolean;
  readonly usergroupsEnabled: boolean;
  readonly strictTriggers: boolean;
  readonly triggerTtlMs: number;
  readonly responseUrlMaxUses: number;
  readonly responseUrlTtlMs: number;
  readonly socketAckTimeoutMs: number;
}

export function resolveOptions(options: SlackEmulatorOptions): { identity: Identity; settings: Settings } {
  return {
    identity: {
      botToken: options.botToken ?? 'xoxb-backstop-emulator',
      appToken: options.appToken ?? 'xapp-1-A0BACKSTOP-emulator',
      teamId: options.teamId ?? 'T0BACKSTOP',
      teamDomain: options.teamDomain ?? 'backstop-sandbox',
      teamName: options.teamName ?? 'Backstop Sandbox',
      botUserId: options.botUserId ?? 'U0BACKSTOP',
      botId: options.botId ?? 'B0BACKSTOP',
      appId: options.appId ?? 'A0BACKSTOP',
      botName: options.botName ?? 'backstop',
    },
    settings: {
      clock: options.clock ?? { now: () => new Date() },
      chatWritePublic: options.chatWritePublic ?? false,
      usergroupsEnabled: options.usergroupsEnabled ?? true,
      strictTriggers: options.strictTriggers ?? true,
      triggerTtlMs: options.triggerTtlMs ?? 3000,
      responseUrlMaxUses: options.responseUrlMaxUses ?? 5,
      responseUrlTtlMs: options.responseUrlTtlMs ?? 30 * 60 * 1000,
      socketAckTimeoutMs: options.socketAckTimeoutMs ?? 3000,
    },
  };
}
