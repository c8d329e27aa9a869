/** The channel list in the sidebar (with unread counts) and the open channel's heading. */
import { isTopLevel } from './slack-ts.js';
import { $, h, ui } from './state.js';

export function renderChannels(state) {
  const list = $('channel-list');
  const messages = state.messages ?? {};
  const items = (state.channels ?? []).map((c) => {
    const count = (messages[c.id] ?? []).filter(isTopLevel).length;
    if (c.id === ui.channelId) ui.seen[c.id] = count;
    const unread = Math.max(0, count - (ui.seen[c.id] ?? 0));
    return h('button', {
      type: 'button',
      class: `channel${c.id === ui.channelId ? ' active' : ''}${unread ? ' unread' : ''}`,
      'data-testid': `channel-${c.name}`,
      'data-channel-id': c.id,
      'aria-current': c.id === ui.channelId ? 'page' : undefined,
    }, [h('span', { class: 'channel-hash' }, ['#']), c.name, unread ? h('span', { class: 'badge', title: `${unread} new` }, [String(unread)]) : null]);
  });
  list.replaceChildren(...items);
  const channel = (state.channels ?? []).find((c) => c.id === ui.channelId);
  $('channel-title').textContent = channel ? `#${channel.name}` : 'No channel';
  const top = (messages[ui.channelId] ?? []).filter(isTopLevel).length;
  $('channel-sub').textContent = channel ? `Incident channel · ${top} message${top === 1 ? '' : 's'} · messages from Backstop are live` : '';
  document.title = channel ? `#${channel.name} · Backstop sandbox` : 'Backstop sandbox console';
}
