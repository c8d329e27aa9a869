/** Slack's `{ ok, error }` answers and the error codes the emulator gives. */
import type { Args } from './args.js';

/** The Slack error codes this emulator answers with (injected faults and api.test may add others). */
export type SlackErrorCode =
  | 'already_in_channel'
  | 'cant_delete_message'
  | 'cant_invite_self'
  | 'cant_update_message'
  | 'channel_not_found'
  | 'expired_trigger_id'
  | 'expired_url'
  | 'file_not_found'
  | 'internal_error'
  | 'invalid_arguments'
  | 'invalid_attachments'
  | 'invalid_auth'
  | 'invalid_blocks'
  | 'invalid_blocks_format'
  | 'invalid_form_data'
  | 'invalid_json'
  | 'invalid_metadata_format'
  | 'invalid_metadata_schema'
  | 'invalid_name_maxlength'
  | 'invalid_name_punctuation'
  | 'invalid_name_required'
  | 'invalid_name_specials'
  | 'invalid_payload'
  | 'invalid_trigger_id'
  | 'is_archived'
  | 'message_not_found'
  | 'method_not_supported_for_channel_type'
  | 'msg_too_long'
  | 'name_taken'
  | 'no_such_subteam'
  | 'no_such_url'
  | 'no_text'
  | 'no_user'
  | 'not_allowed_token_type'
  | 'not_authed'
  | 'not_enough_users'
  | 'not_found'
  | 'not_in_channel'
  | 'plan_upgrade_required'
  | 'ratelimited'
  | 'request_too_large'
  | 'thread_not_found'
  | 'too_many_users'
  | 'trigger_exchanged'
  | 'unknown_method'
  | 'used_url'
  | 'user_not_found'
  | 'user_not_in_channel'
  | 'users_list_not_supplied'
  | 'users_not_found';


export type ApiResult = { ok: boolean; error?: string; [key: string]: unknown };

export function fail(error: SlackErrorCode, extra: Record<string, unknown> = {}): ApiResult {
  return { ok: false, error, ...extra };
}

/** A Web API method: arguments in, Slack's answer out (the HTTP layer adds status and logging). */
export type Handler = (args: Args) => ApiResult;
