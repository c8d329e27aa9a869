/** State → page: a fresh state from the server is rendered, and only what changed is rebuilt. */
import { applyCooldowns } from './actions.js';
import { renderChannels } from './channels.js';
import { refresh } from './live.js';
import { renderMessages } from './message-list.js';
import { renderModal } from './modals.js';
import { renderCtx } from './render-ctx.js';
import { STORE, ui, write } from './state.js';
import { renderThread } from './thread-panel.js';
import { renderUsers } from './user-switcher.js';

export function applyState(state) {
  const users = Array.isArray(state.users) ? state.users : [];
  if (users.length && !users.some((u) => u.id === state.me)) {
    // A remembered user that no longer exists: fall back to the first one.
    ui.me = users[0].id;
    write(STORE.user, ui.me);
    refresh();
    return;
  }
  ui.me = state.me;
  const json = JSON.stringify(state);
  if (json === ui.stateJson) return;
  ui.stateJson = json;
  ui.state = state;

  const channels = Array.isArray(state.channels) ? state.channels : [];
  if (!channels.some((c) => c.id === ui.channelId)) {
    ui.channelId = (channels.find((c) => c.name.startsWith('inc-')) ?? channels[0])?.id ?? '';
  }
  render();
}

export function render() {
  const state = ui.state;
  if (!state) return;
  const ctx = renderCtx(state);
  // Message nodes used by this render, by key: what neither pane uses any more is dropped.
  const next = new Map();
  renderUsers(state);
  renderChannels(state);
  renderMessages(state, ctx, next);
  renderThread(state, ctx, next);
  ui.nodes = next;
  renderModal(state, ctx);
  applyCooldowns();
}
