/** What the Block Kit renderer needs to show names for ids, and where files are fetched. */
import { fileUrl } from './api.js';

export function renderCtx(state) {
  const users = {};
  for (const u of state.users ?? []) users[u.id] = u.name;
  if (state.botUserId) users[state.botUserId] = users[state.botUserId] ?? 'backstop';
  const channels = {};
  for (const c of state.channels ?? []) channels[c.id] = c.name;
  const groups = {};
  for (const g of state.usergroups ?? []) groups[g.id] = g.handle ?? g.name;
  return { users, channels, groups, fileUrl };
}

/**
 * A cache key for a render context: what a message node depends on besides the message.
 * (`fileUrl` is a function, left out by JSON: it never changes.)
 */
export function ctxKey(state, ctx) {
  return JSON.stringify([ctx, state.botUserId, state.me]);
}
