/** `apps.connections.open`: the WebSocket URL of a Socket Mode connection (app-level token only, checked in http/web-api.ts). */
import type { Handler } from '../api-result.js';
import type { SocketModeServer } from '../socket-mode/server.js';
import type { Workspace } from '../workspace.js';

/** Methods that take the app-level `xapp-` token; every other method takes the bot token. */
export const APP_TOKEN_METHODS: ReadonlySet<string> = new Set(['apps.connections.open']);

export function appsMethods(ws: Workspace, socket: SocketModeServer): Record<string, Handler> {
  return {
    'apps.connections.open': () => ({ ok: true, url: socket.mintUrl(ws.requireOrigin()) }),
  };
}
