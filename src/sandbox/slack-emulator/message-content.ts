/** The text / blocks / attachments of a message, read the way chat.* and response_url read them. */
import { BLOCK_KIT_LIMITS, validateBlocks } from '../block-kit.js';
import type { ApiResult, SlackErrorCode } from './api-result.js';
import { jsonArg, str, type Args } from './args.js';

export interface MessageContent {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
}

/** Refuses invalid blocks (`invalid_blocks` with Slack-style messages) and over-long text (`msg_too_long`). */
export function messageContent(args: Args): MessageContent | (ApiResult & { error: SlackErrorCode }) {
  const out: MessageContent = {};
  const blocks = jsonArg(args, 'blocks');
  if (blocks.kind === 'bad' || (blocks.kind === 'ok' && !Array.isArray(blocks.value))) {
    return { ok: false, error: 'invalid_blocks_format' };
  }
  if (blocks.kind === 'ok' && Array.isArray(blocks.value)) {
    const result = validateBlocks(blocks.value);
    if (!result.ok) {
      return {
        ok: false,
        error: 'invalid_blocks',
        errors: result.errors.map((e) => e.replace(/^\[ERROR\] /, '')),
        response_metadata: { messages: result.errors },
      };
    }
    out.blocks = blocks.value;
  }
  const attachments = jsonArg(args, 'attachments');
  if (attachments.kind === 'bad' || (attachments.kind === 'ok' && !Array.isArray(attachments.value))) {
    return { ok: false, error: 'invalid_attachments' };
  }
  if (attachments.kind === 'ok' && Array.isArray(attachments.value)) out.attachments = attachments.value;
  const text = str(args, 'text');
  if (text !== undefined) {
    if (text.length > BLOCK_KIT_LIMITS.messageText) return { ok: false, error: 'msg_too_long' };
    out.text = text;
  }
  return out;
}

/** Slack refuses a message with nothing to show. */
export function isEmpty(content: MessageContent): boolean {
  return !content.text && !content.blocks?.length && !content.attachments?.length;
}
