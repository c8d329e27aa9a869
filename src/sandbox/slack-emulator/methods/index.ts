/** Every Web API method the emulator answers, by name (Socket Mode's `apps.*` are added beside its server); anything else is `unknown_method`. */
import type { Handler } from '../api-result.js';
import type { Workspace } from '../workspace.js';
import { authMethods } from './auth.js';
import { chatMethods } from './chat.js';
import { conversationsMethods } from './conversations.js';
import { filesMethods } from './files.js';
import { usersMethods } from './users.js';
import { viewsMethods } from './views.js';

export function webApiMethods(ws: Workspace): Readonly<Record<string, Handler>> {
  return {
    ...authMethods(ws),
    ...chatMethods(ws),
    ...conversationsMethods(ws),
    ...usersMethods(ws),
    ...viewsMethods(ws),
    ...filesMethods(ws),
  };
}
