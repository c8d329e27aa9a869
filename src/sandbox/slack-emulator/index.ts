/** The Slack emulator's public surface: the `SlackEmulator` facade and the types it speaks. */
export { SlackEmulator } from './emulator.js';
export type { SlackErrorCode } from './api-result.js';
export type {
  AddChannelInput,
  AddMessageInput,
  AddUserInput,
  AddUsergroupInput,
  ApiCall,
  ChangeEvent,
  EmulatedChannel,
  EmulatedUser,
  EmulatedUsergroup,
  EphemeralMessage,
  Fault,
  OpenedView,
  ResponseUrlOptions,
  SlackEmulatorOptions,
  SlackMessage,
  UploadedFile,
} from './types.js';
