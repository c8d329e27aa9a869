/**
 * One message as Slack lays it out: avatar, author, time, body (blocks, text, files), and under a
 * top-level message the "N replies" link that opens its thread. Ephemerals carry "Only visible to
 * you" and a Dismiss link.
 */
import { renderMessageBody } from './block-kit-render.js';
import { formatTime } from './slack-ts.js';
import { h, ui } from './state.js';

/** The bot's display name, as Slack shows it: from its profile on any message, else "Backstop". */
export function botName(state) {
  for (const list of Object.values(state.messages ?? {})) {
    for (const m of list) if (m.bot_profile?.name) return m.bot_profile.name;
  }
  return 'Backstop';
}

function authorOf(state, m) {
  if (m.bot_id || (state.botUserId && m.user === state.botUserId)) {
    return { name: m.bot_profile?.name || m.username || botName(state), bot: true };
  }
  const u = (state.users ?? []).find((x) => x.id === m.user);
  return { name: u?.real_name || u?.name || m.user || 'unknown', bot: false };
}

function avatar(author) {
  const letter = author.bot ? '⏪' : (author.name.trim()[0] ?? '?').toUpperCase();
  return h('div', { class: `avatar${author.bot ? ' avatar-bot' : ''}`, 'aria-hidden': 'true' }, [letter]);
}

function meta(author, ts, extra = []) {
  const time = formatTime(ts);
  return h('div', { class: 'msg-meta' }, [
    h('span', { class: 'msg-author' }, [author.name]),
    author.bot ? h('span', { class: 'app-badge' }, ['APP']) : null,
    h('time', { class: 'msg-time', title: time.long }, [time.short]),
    ...extra,
  ]);
}

export function threadIsOpen(channel, ts) {
  return ui.thread !== null && ui.thread.channel === channel && ui.thread.ts === ts;
}

export function messageNode(state, ctx, m, replies, opts) {
  const author = authorOf(state, m);
  const extra = m.edited ? [h('span', { class: 'msg-edited' }, ['(edited)'])] : [];
  const children = [meta(author, m.ts, extra), renderMessageBody(h, m, ctx)];
  if (opts.showReplies && replies.length > 0) {
    const last = formatTime(replies[replies.length - 1].ts);
    children.push(h('button', {
      type: 'button',
      class: `open-thread${threadIsOpen(m.channel, m.ts) ? ' open' : ''}`,
      'data-testid': 'open-thread',
      'data-thread-ts': m.ts,
      title: 'Open the thread on the right',
    }, [`💬 ${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`, h('span', { class: 'open-thread-last' }, [`last reply ${last.short}`])]));
  }
  return h('div', {
    class: `msg${opts.className ? ` ${opts.className}` : ''}${author.bot ? ' from-bot' : ''}`,
    'data-testid': opts.testid,
    'data-ts': m.ts,
    'data-channel': m.channel,
  }, [avatar(author), h('div', { class: 'msg-main' }, children)]);
}

export function ephemeralNode(state, ctx, e, inThreadPanel) {
  const author = { name: botName(state), bot: true };
  const dismissKey = `${ui.me}|${e.channel}|${e.ts}`;
  const extra = [
    h('span', { class: 'only-you' }, ['👁 Only visible to you']),
    e.thread_ts && !inThreadPanel
      ? h('button', { type: 'button', class: 'link-button view-thread', 'data-thread-ts': e.thread_ts, title: 'This reply belongs to a thread' }, ['in a thread: view thread'])
      : null,
    h('button', { type: 'button', class: 'link-button dismiss', 'data-dismiss': dismissKey, title: 'Hide this message' }, ['Dismiss']),
  ];
  return h('div', { class: 'msg ephemeral', 'data-testid': 'ephemeral', 'data-ts': e.ts, 'data-channel': e.channel, 'data-ephemeral': 'true' }, [
    avatar(author),
    h('div', { class: 'msg-main' }, [meta(author, e.ts, extra), renderMessageBody(h, e, { ...ctx, readOnly: true })]),
  ]);
}

export function visibleEphemerals(state) {
  return (state.ephemerals ?? []).filter((e) => !ui.dismissed.has(`${ui.me}|${e.channel}|${e.ts}`));
}
