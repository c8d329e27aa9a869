import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log/logger.js';

/** Routes Bolt's own logging into our pino logger (and so through its redaction). */
export function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const l = log.child({ component: 'bolt' });
  return {
    debug: (...m: unknown[]) => l.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => l.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => l.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => l.error(m.map(String).join(' ')),
    setLevel: (x: LogLevel) => { level = x; },
    getLevel: () => level,
    setName: () => undefined,
  };
}
