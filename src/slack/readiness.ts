/**
 * The `slack` line of `/readyz`. In Socket Mode the bot hears clicks and commands only over its
 * socket, so while it is down the replica is not ready, and says since when and why. In HTTP mode
 * Slack reaches the bot whatever the Web API does: a Web API that has not answered yet is said
 * (with the messages waiting for it) but does not take the replica out of service, which would
 * also stop alert intake.
 */
import type { WebApiState } from './bot-identity.js';
import type { SocketState } from './socket-receiver.js';

/** `queued`: Slack messages waiting in the outbox (undefined when the store cannot say). */
export function slackReadiness(input: { webApi: WebApiState; socket?: SocketState; queued?: number }): string {
  const { webApi, socket, queued } = input;
  const waiting = queued !== undefined && queued > 0 ? `; ${queued} Slack message(s) queued` : '';
  const api = webApi.answered ? `Web API ${webApi.detail} at ${webApi.since}` : `Web API not answering since ${webApi.since} (${webApi.detail})`;
  if (socket && !socket.connected) return `not connected: Socket Mode connection down since ${socket.since} (${socket.reason ?? 'unknown'}); ${api}${waiting}`;
  const mode = socket ? `Socket Mode connected since ${socket.since}` : 'HTTP mode';
  return `${webApi.answered ? 'ok' : 'ok (degraded)'}: ${mode}; ${api}${waiting}`;
}
