import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Everything that may carry a credential is censored wherever it appears in a logged
 * object. Message strings are not redacted: never interpolate secrets into them.
 */
export const REDACT_PATHS = [
  'token', '*.token', '*.*.token',
  'secret', '*.secret', '*.*.secret',
  'signingSecret', '*.signingSecret',
  'password', '*.password',
  'authorization', '*.authorization', '*.*.authorization', 'headers.authorization', 'req.headers.authorization',
  'headers["x-slack-signature"]', 'req.headers["x-slack-signature"]',
  'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'ALERTMANAGER_TOKEN',
  '*.SLACK_BOT_TOKEN', '*.SLACK_SIGNING_SECRET', '*.SLACK_APP_TOKEN', '*.ALERTMANAGER_TOKEN',
  'BACKSTOP_AUDIT_KEY', '*.BACKSTOP_AUDIT_KEY', 'auditKey', '*.auditKey',
  'env', 'config.env',
];

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: 'backstop',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    opts.destination,
  );
}
