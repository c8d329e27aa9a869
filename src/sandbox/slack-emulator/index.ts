/** The Slack emulator's public surface: the `SlackEmulator` facade and the types it speaks. */
export { SlackEmulator } from './emulator.js';
export type { SlackErrorCode } from './api-result.js';
export type * from './types.js';
