/** The channel's messages, oldest first, with the person's ephemerals among them. */
import { ephemeralNode, messageNode, threadIsOpen, visibleEphemerals } from './message-node.js';
import { cached, keepScroll, reconcile } from './reconcile.js';
import { ctxKey } from './render-ctx.js';
import { compareTs, isTopLevel } from './slack-ts.js';
import { $, h, ui } from './state.js';

export function renderMessages(state, ctx, next) {
  const container = $('messages');
  const all = (state.messages ?? {})[ui.channelId] ?? [];
  const repliesOf = new Map();
  for (const m of all) {
    if (m.thread_ts && m.thread_ts !== m.ts) {
      const list = repliesOf.get(m.thread_ts) ?? [];
      list.push(m);
      repliesOf.set(m.thread_ts, list);
    }
  }
  const items = all.filter(isTopLevel).map((m) => ({ kind: 'message', ts: m.ts, m }));
  for (const e of visibleEphemerals(state)) {
    if (e.channel !== ui.channelId) continue;
    // A thread's ephemeral shows in the thread panel when that thread is open, else here.
    if (e.thread_ts && threadIsOpen(e.channel, e.thread_ts)) continue;
    items.push({ kind: 'ephemeral', ts: e.ts, e });
  }
  items.sort((a, b) => compareTs(a.ts, b.ts));

  const key = ctxKey(state, ctx);
  const nodes = items.map((item) => {
    if (item.kind === 'ephemeral') {
      return cached(next, `eph|${key}|${JSON.stringify(item.e)}`, () => ephemeralNode(state, ctx, item.e, false));
    }
    const replies = repliesOf.get(item.m.ts) ?? [];
    // The whole message is in the key: chat.update changes it, and the node is rebuilt in its place.
    const msgKey = `msg|${key}|${JSON.stringify(item.m)}|${replies.length}|${replies.at(-1)?.ts ?? ''}|${threadIsOpen(item.m.channel, item.m.ts)}`;
    return cached(next, msgKey, () => messageNode(state, ctx, item.m, replies, { testid: 'message', showReplies: true }));
  });
  if (nodes.length === 0) {
    nodes.push(cached(next, 'empty', () => h('div', { class: 'empty' }, [
      h('div', { class: 'empty-title' }, ['No messages yet']),
      h('div', {}, ['Press 🔥 Fire demo alert (top right) and Backstop will post a rollback proposal here.']),
    ])));
  }
  const switched = container.dataset.channel !== ui.channelId;
  container.dataset.channel = ui.channelId;
  keepScroll(container, () => reconcile(container, nodes), switched);
}
