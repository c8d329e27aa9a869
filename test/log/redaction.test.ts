import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { log: createLogger({ level: 'debug', destination: dest }), lines };
}

describe('log redaction', () => {
  it('censors tokens, secrets and authorization headers wherever they sit in a logged object', () => {
    const { log, lines } = capture();
    log.info({
      token: 'xoxb-123-secret-bot-token',
      env: { SLACK_SIGNING_SECRET: 'signing-secret-value', SLACK_BOT_TOKEN: 'xoxb-456' },
      req: { headers: { authorization: 'Bearer alertmanager-token-value', 'x-slack-signature': 'v0=abcdef' } },
      adapter: { secret: 'webhook-hmac-secret' },
      service: 'fraud-scorer',
    }, 'request');
    const out = lines.join('');
    for (const secret of ['xoxb-123-secret-bot-token', 'signing-secret-value', 'xoxb-456', 'alertmanager-token-value', 'v0=abcdef', 'webhook-hmac-secret']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[redacted]');
    expect(out).toContain('fraud-scorer');
  });
});
