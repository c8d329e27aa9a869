/** The thread panel on the right: the parent message, then its replies and the person's ephemerals in it. */
import { ephemeralNode, messageNode, visibleEphemerals } from './message-node.js';
import { cached, keepScroll, reconcile } from './reconcile.js';
import { ctxKey } from './render-ctx.js';
import { compareTs } from './slack-ts.js';
import { $, h, ui } from './state.js';

export function renderThread(state, ctx, next) {
  const panel = $('thread');
  const body = $('thread-body');
  document.body.classList.toggle('thread-open', ui.thread !== null);
  if (!ui.thread) {
    panel.hidden = true;
    body.replaceChildren();
    body.dataset.thread = '';
    return;
  }
  panel.hidden = false;
  const { channel, ts } = ui.thread;
  const all = (state.messages ?? {})[channel] ?? [];
  const parent = all.find((m) => m.ts === ts);
  const replies = all.filter((m) => m.thread_ts === ts && m.ts !== ts);
  const channelName = (state.channels ?? []).find((c) => c.id === channel)?.name ?? channel;
  $('thread-channel').textContent = `#${channelName}`;

  const key = ctxKey(state, ctx);
  const items = replies.map((m) => ({ ts: m.ts, m }));
  for (const e of visibleEphemerals(state)) if (e.channel === channel && e.thread_ts === ts) items.push({ ts: e.ts, e });
  items.sort((a, b) => compareTs(a.ts, b.ts));

  const nodes = [];
  nodes.push(parent
    ? cached(next, `parent|${key}|${JSON.stringify(parent)}`, () => messageNode(state, ctx, parent, [], { className: 'thread-parent', testid: 'thread-parent', showReplies: false }))
    : cached(next, 'parent-gone', () => h('div', { class: 'empty' }, ['This message is no longer in the channel.'])));
  const divider = replies.length ? `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}` : 'No replies yet';
  nodes.push(cached(next, `divider|${divider}`, () => h('div', { class: 'thread-divider' }, [divider])));
  for (const item of items) {
    nodes.push(item.e
      ? cached(next, `eph|${key}|${JSON.stringify(item.e)}|thread`, () => ephemeralNode(state, ctx, item.e, true))
      : cached(next, `reply|${key}|${JSON.stringify(item.m)}`, () => messageNode(state, ctx, item.m, [], { testid: 'thread-reply', className: 'reply', showReplies: false })));
  }
  const switched = body.dataset.thread !== `${channel}|${ts}`;
  body.dataset.thread = `${channel}|${ts}`;
  keepScroll(body, () => reconcile(body, nodes), switched);
}
