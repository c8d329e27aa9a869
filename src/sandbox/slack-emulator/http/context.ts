import type { CallLog } from '../call-log.js';
import type { Handler } from '../api-result.js';
import type { Faults } from '../faults.js';
import type { SocketModeServer } from '../socket-mode/server.js';
import type { Workspace } from '../workspace.js';

/** What the HTTP layer serves from: the workspace, its methods, the test's faults and log, and the Socket Mode server. */
export interface EmulatorContext {
  readonly ws: Workspace;
  readonly methods: Readonly<Record<string, Handler>>;
  readonly faults: Faults;
  readonly calls: CallLog;
  /** Socket Mode: WebSocket upgrades to `/link/` go here. */
  readonly socket: SocketModeServer;
}
