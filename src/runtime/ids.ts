import { randomBytes } from 'node:crypto';
import type { Ids } from '../ports/ids.js';

/** Time-ordered, unguessable ids such as `rb-mbx2k3-9f3a1c0d`. */
export const randomIds: Ids = {
  next: (prefix) => `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
};
