/** `api.test` and `auth.test`: who the token belongs to. */
import type { ApiResult, Handler } from '../api-result.js';
import { str, type Args } from '../args.js';
import type { Workspace } from '../workspace.js';

export function authMethods(ws: Workspace): Record<string, Handler> {
  return {
    'api.test': apiTest,
    'auth.test': () => authTest(ws),
  };
}

/** Echoes its arguments; `error=…` makes it fail with that code (Slack's own test hook). */
function apiTest(args: Args): ApiResult {
  const error = str(args, 'error');
  const echoed = Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'token' && k !== 'error'));
  return error ? { ok: false, error, args: echoed } : { ok: true, args: echoed };
}

function authTest(ws: Workspace): ApiResult {
  const { teamDomain, teamName, botName, teamId, botUserId, botId } = ws.identity;
  return {
    ok: true,
    url: `https://${teamDomain}.slack.com/`,
    team: teamName,
    user: botName,
    team_id: teamId,
    user_id: botUserId,
    bot_id: botId,
    is_enterprise_install: false,
  };
}
