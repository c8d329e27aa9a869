import { ErrorCode, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { ChatError } from '../../src/ports/chat.js';
import { toChatError } from '../../src/slack/chat.js';

/** The Web API client's errors become one closed ChatError, so nothing outside the Slack adapter reads their shapes. */
describe('toChatError', () => {
  it('turns a rate limit into rate_limited with the wait in milliseconds', () => {
    const err = Object.assign(new Error('A rate limit was exceeded'), { code: ErrorCode.RateLimitedError, retryAfter: 7 }) as WebAPIRateLimitedError;
    expect(toChatError(err, 'chat.postMessage')).toMatchObject({ code: 'rate_limited', details: { retryAfterMs: 7000 } });
  });

  it('calls a refusal by Slack refused, and its own outage unavailable', () => {
    const platform = (error: string) => Object.assign(new Error(`An API error occurred: ${error}`), { code: ErrorCode.PlatformError, data: { ok: false, error } }) as WebAPIPlatformError;
    expect(toChatError(platform('channel_not_found'), 'chat.postMessage')).toMatchObject({ code: 'refused', details: { slackError: 'channel_not_found' } });
    expect(toChatError(platform('internal_error'), 'chat.postMessage')).toMatchObject({ code: 'unavailable', details: { slackError: 'internal_error' } });
    expect(toChatError(new Error('connect ECONNREFUSED 127.0.0.1:9'), 'chat.update')).toMatchObject({ code: 'unavailable' });
    expect(toChatError(new Error('x'), 'chat.update')).toBeInstanceOf(ChatError);
  });
});
