/**
 * Slack request signing, and the bodies Slack sends for interactions and slash commands, so tests
 * and the sandbox can drive a real Bolt app exactly as Slack would.
 */
import { createHmac } from 'node:crypto';

/** Bolt parses a form only under exactly this content type; `; charset=…` gets a 400. */
export const SLACK_FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export type SlackSignatureHeaders = {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
};

/** `v0=` + hex HMAC-SHA256(signing secret, `v0:<ts>:<raw body>`). */
export function signSlackRequest(signingSecret: string, body: string, timestampSec: number): SlackSignatureHeaders {
  const ts = String(Math.floor(timestampSec));
  const digest = createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': ts };
}

/** Signature headers plus the form content type: everything a POST of `body` to Bolt needs. */
export function slackFormHeaders(signingSecret: string, body: string, timestampSec: number): SlackSignatureHeaders & { 'content-type': typeof SLACK_FORM_CONTENT_TYPE } {
  return { 'content-type': SLACK_FORM_CONTENT_TYPE, ...signSlackRequest(signingSecret, body, timestampSec) };
}

// ---------------------------------------------------------------------------------------------
// block_actions

export interface SlackActor {
  id: string;
  username: string;
  /** Defaults to `username`. */
  name?: string;
  /** Defaults to the team's id. */
  team_id?: string;
}

/** The message as Slack holds it (e.g. from `chat.postMessage`'s answer or the emulator). */
export interface InteractedMessage {
  ts: string;
  blocks?: unknown;
}

export interface BlockActionsInput<M extends InteractedMessage = InteractedMessage> {
  user: SlackActor;
  team: { id: string; domain: string };
  apiAppId: string;
  channel: { id: string; name: string };
  /** The message carrying the button; the button is looked up in its blocks. */
  message: M;
  actionId: string;
  /** Needed only when several blocks hold a button with this action_id. */
  blockId?: string;
  /** `"<unix seconds>.<6 digits>"`. */
  actionTs: string;
  triggerId: string;
  responseUrl: string;
  /** The app's (deprecated) verification token; Slack still sends one. */
  token?: string;
  /** Whether the message was ephemeral: Slack then sends no `message`. */
  isEphemeral?: boolean;
}

interface FoundButton {
  blockId: string;
  element: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Finds the button a user could click; Slack cannot send an action for a button that is not there. */
function findButton(message: InteractedMessage, actionId: string, blockId: string | undefined): FoundButton {
  const blocks = Array.isArray(message.blocks) ? message.blocks : [];
  const found: FoundButton[] = [];
  for (const block of blocks) {
    if (!isRecord(block) || typeof block.block_id !== 'string') continue;
    if (blockId !== undefined && block.block_id !== blockId) continue;
    const elements = block.type === 'actions' && Array.isArray(block.elements) ? block.elements : block.type === 'section' ? [block.accessory] : [];
    for (const el of elements) {
      if (isRecord(el) && el.action_id === actionId) found.push({ blockId: block.block_id, element: el });
    }
  }
  const first = found[0];
  if (!first) {
    throw new Error(`message ${message.ts} has no element with action_id ${actionId}${blockId ? ` in block ${blockId}` : ''} (blocks need their block_id, as Slack returns them)`);
  }
  if (found.length > 1) throw new Error(`message ${message.ts} has ${found.length} elements with action_id ${actionId}: pass blockId`);
  if (first.element.type !== 'button') throw new Error(`element ${actionId} is a ${String(first.element.type)}, only buttons are supported`);
  return first;
}

/** The `block_actions` payload for a button click, as a JSON-ready object. */
export function blockActionsPayload<M extends InteractedMessage>(input: BlockActionsInput<M>): Record<string, unknown> {
  const { blockId, element } = findButton(input.message, input.actionId, input.blockId);
  const action: Record<string, unknown> = {
    type: 'button',
    action_id: input.actionId,
    block_id: blockId,
    action_ts: input.actionTs,
    ...(element.value !== undefined ? { value: element.value } : {}),
    text: element.text,
    ...(element.style !== undefined ? { style: element.style } : {}),
  };
  const isEphemeral = input.isEphemeral ?? false;
  return {
    type: 'block_actions',
    user: { id: input.user.id, username: input.user.username, name: input.user.name ?? input.user.username, team_id: input.user.team_id ?? input.team.id },
    api_app_id: input.apiAppId,
    token: input.token ?? 'emulator-verification-token',
    container: { type: 'message', message_ts: input.message.ts, channel_id: input.channel.id, is_ephemeral: isEphemeral },
    trigger_id: input.triggerId,
    team: { id: input.team.id, domain: input.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel.id, name: input.channel.name },
    ...(isEphemeral ? {} : { message: input.message }),
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [action],
  };
}

/** The form body Slack POSTs for a button click: `payload=<url-encoded JSON>`. */
export function buildBlockActionsBody<M extends InteractedMessage>(input: BlockActionsInput<M>): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionsPayload(input)) }).toString();
}

// ---------------------------------------------------------------------------------------------
// Slash commands

export interface SlashCommandInput {
  team: { id: string; domain: string };
  channel: { id: string; name: string };
  user: { id: string; username: string };
  /** E.g. `/backstop`. */
  command: string;
  text: string;
  apiAppId: string;
  responseUrl: string;
  triggerId: string;
  token?: string;
}

/** The form body Slack POSTs for a slash command. */
export function buildSlashCommandBody(input: SlashCommandInput): string {
  return new URLSearchParams([
    ['token', input.token ?? 'emulator-verification-token'],
    ['team_id', input.team.id],
    ['team_domain', input.team.domain],
    ['channel_id', input.channel.id],
    ['channel_name', input.channel.name],
    ['user_id', input.user.id],
    ['user_name', input.user.username],
    ['command', input.command],
    ['text', input.text],
    ['api_app_id', input.apiAppId],
    ['is_enterprise_install', 'false'],
    ['response_url', input.responseUrl],
    ['trigger_id', input.triggerId],
  ]).toString();
}
