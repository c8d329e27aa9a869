/** Moved to the slack-emulator/ folder; this path stays for its many importers. */
export * from './slack-emulator/index.js';
