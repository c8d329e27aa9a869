/** The Slack emulator's public surface: the `SlackEmulator` facade and the types it speaks. */
export { SlackEmulator } from './emulator.js';
export type { SlackErrorCode } from './api-result.js';
export type * from './types.js';
export type { DisconnectReason, SocketDelivery, SocketEvent } from './socket-mode/server.js';
export type { EnvelopeType } from './socket-mode/envelope.js';
