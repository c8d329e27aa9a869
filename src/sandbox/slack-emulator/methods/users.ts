/** `users.*` and `usergroups.*`: looking people up, and the groups that page them. */
import { fail, type ApiResult, type Handler } from '../api-result.js';
import { bool, str, type Args } from '../args.js';
import { usergroupObject, userObject } from '../serialise.js';
import type { Workspace } from '../workspace.js';

export function usersMethods(ws: Workspace): Record<string, Handler> {
  return {
    'usergroups.list': (a) => usergroupsList(ws, a),
    'usergroups.users.list': (a) => usergroupsUsersList(ws, a),
    'users.info': (a) => usersInfo(ws, a),
    'users.lookupByEmail': (a) => usersLookupByEmail(ws, a),
  };
}

function usergroupsList(ws: Workspace, args: Args): ApiResult {
  if (!ws.settings.usergroupsEnabled) return fail('plan_upgrade_required');
  const includeUsers = bool(args, 'include_users');
  const includeDisabled = bool(args, 'include_disabled');
  const groups = [...ws.usergroups.values()]
    .filter((g) => g.enabled || includeDisabled)
    .map((g) => usergroupObject(ws, g, includeUsers));
  return { ok: true, usergroups: groups };
}

function usergroupsUsersList(ws: Workspace, args: Args): ApiResult {
  if (!ws.settings.usergroupsEnabled) return fail('plan_upgrade_required');
  const group = ws.usergroups.get(str(args, 'usergroup') ?? '');
  if (!group) return fail('no_such_subteam');
  if (!group.enabled && !bool(args, 'include_disabled')) return fail('no_such_subteam');
  return { ok: true, users: [...group.users] };
}

function usersInfo(ws: Workspace, args: Args): ApiResult {
  const user = ws.users.get(str(args, 'user') ?? '');
  if (!user) return fail('user_not_found');
  return { ok: true, user: userObject(ws, user) };
}

function usersLookupByEmail(ws: Workspace, args: Args): ApiResult {
  const email = (str(args, 'email') ?? '').toLowerCase();
  const user = email ? [...ws.users.values()].find((u) => u.email?.toLowerCase() === email && !u.deleted) : undefined;
  if (!user) return fail('users_not_found');
  return { ok: true, user: userObject(ws, user) };
}
