/**
 * The sandbox console: a person plays the incident channel against the local Slack emulator.
 * State comes from `api/state`; `api/events` (Server-Sent Events) says when to fetch it again,
 * with polling every 2 s while that stream is down. Every message is rendered through
 * block-kit-render.js with a DOM factory, so message text never reaches an HTML parser.
 */
import { domH, renderMessageBody, renderBlocks } from './block-kit-render.js';

const h = domH(document);
const api = (path) => new window.URL(`api/${path}`, import.meta.url).toString();
const $ = (id) => document.getElementById(id);

const STORE = { user: 'backstop.sandbox.user', channel: 'backstop.sandbox.channel', guide: 'backstop.sandbox.guideDismissed' };
const CLICK_COOLDOWN_MS = 1500;
const POLL_MS = 2000;

const ui = {
  me: read(STORE.user),
  channelId: read(STORE.channel),
  /** `{ channel, ts }` of the open thread, or null. */
  thread: null,
  state: null,
  stateJson: '',
  /** channel id → top-level message count the person has seen. */
  seen: {},
  /** key → time until which a clicked button stays disabled. */
  cooling: new Map(),
  /** Ephemerals the person dismissed (`user|channel|ts`). */
  dismissed: new Set(),
  /** Views closed here before the server's state says so. */
  closedViews: new Set(),
  /** The modal on screen: `{ id, node, errors, values }`. */
  modal: null,
  history: [],
  historyAt: -1,
  /** Cached message nodes by render key, so unchanged messages are not rebuilt. */
  nodes: new Map(),
};

function read(key) {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to the console server

async function postJson(path, body) {
  const res = await fetch(api(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Not JSON: reported below by status.
  }
  return { ok: res.ok, httpStatus: res.status, json };
}

/** A one-line reason from a console-server answer, or null when the bot took it (2xx). */
function problem(result) {
  if (!result.ok) {
    const j = result.json ?? {};
    return `${j.error ?? `HTTP ${result.httpStatus}`}${j.message ? `: ${j.message}` : ''}${Array.isArray(j.issues) ? `: ${j.issues.map((i) => `${i.path} ${i.message}`).join('; ')}` : ''}`;
  }
  const status = result.json?.status;
  if (typeof status === 'number' && (status < 200 || status >= 300)) {
    const body = result.json.body;
    const detail = typeof body === 'string' ? body : body ? JSON.stringify(body) : '';
    return `the bot answered ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
  }
  return null;
}

let fetching = false;
let fetchAgain = false;
let fetchSeq = 0;

function refresh() {
  if (fetching) {
    fetchAgain = true;
    return;
  }
  fetching = true;
  const seq = ++fetchSeq;
  const me = ui.me;
  const query = me ? `?${new URLSearchParams({ user: me })}` : '';
  fetch(api(`state${query}`), { cache: 'no-store' })
    .then((res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json();
    })
    .then((state) => {
      if (seq !== fetchSeq || me !== ui.me) return; // the person switched user meanwhile
      setReachable(true);
      applyState(state);
    })
    .catch((err) => {
      setReachable(false, err instanceof Error ? err.message : String(err));
    })
    .finally(() => {
      fetching = false;
      if (fetchAgain) {
        fetchAgain = false;
        refresh();
      }
    });
}

// Live updates: SSE, falling back to polling while the stream is down.
let pollTimer = null;
let live = false;
let reachable = true;

function startPolling() {
  if (pollTimer !== null) return;
  const tick = () => {
    refresh();
    pollTimer = setTimeout(tick, POLL_MS);
  };
  pollTimer = setTimeout(tick, POLL_MS);
}

function stopPolling() {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = null;
}

function connect() {
  if (typeof EventSource === 'undefined') {
    startPolling();
    showConnection();
    return;
  }
  const events = new EventSource(api('events'));
  events.addEventListener('open', () => {
    live = true;
    stopPolling();
    showConnection();
    refresh();
  });
  events.addEventListener('change', () => refresh());
  events.addEventListener('error', () => {
    // The browser reconnects by itself; poll until it does.
    live = false;
    startPolling();
    showConnection();
  });
}

function setReachable(ok, reason) {
  const changed = reachable !== ok;
  reachable = ok;
  if (changed || !ok) showConnection(reason);
}

function showConnection(reason) {
  const conn = $('conn');
  const text = $('conn-text');
  if (!reachable) {
    conn.dataset.state = 'down';
    text.textContent = `Bot unreachable${reason ? ` (${reason})` : ''}; retrying every 2 s`;
  } else if (live) {
    conn.dataset.state = 'live';
    text.textContent = 'Live';
  } else {
    conn.dataset.state = 'polling';
    text.textContent = 'Live updates lost; polling every 2 s';
  }
}

// ---------------------------------------------------------------------------------------------
// State → page

function tsParts(ts) {
  const [s = '0', f = ''] = String(ts).split('.');
  return [Number(s), f.padEnd(6, '0')];
}

function compareTs(a, b) {
  const [as, af] = tsParts(a);
  const [bs, bf] = tsParts(b);
  return as !== bs ? as - bs : af < bf ? -1 : af > bf ? 1 : 0;
}

function formatTime(ts) {
  const date = new Date(tsParts(ts)[0] * 1000);
  if (Number.isNaN(date.getTime())) return { short: '', long: '' };
  return { short: date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }), long: date.toLocaleString() };
}

function isTopLevel(m) {
  return !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast';
}

function renderCtx(state) {
  const users = {};
  for (const u of state.users ?? []) users[u.id] = u.name;
  if (state.botUserId) users[state.botUserId] = users[state.botUserId] ?? 'backstop';
  const channels = {};
  for (const c of state.channels ?? []) channels[c.id] = c.name;
  const groups = {};
  for (const g of state.usergroups ?? []) groups[g.id] = g.handle ?? g.name;
  return { users, channels, groups };
}

function applyState(state) {
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

function render() {
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

function renderUsers(state) {
  const select = $('user-switcher');
  const users = state.users ?? [];
  const wanted = users.map((u) => `${u.id}|${u.real_name}`).join('\n');
  if (select.dataset.users !== wanted) {
    select.replaceChildren(...users.map((u) => h('option', { value: u.id }, [u.real_name || u.name])));
    select.dataset.users = wanted;
  }
  if (select.value !== state.me) select.value = state.me;
  const me = users.find((u) => u.id === state.me);
  $('composer').placeholder = `/backstop status   (runs as ${me?.real_name ?? state.me}, press Enter)`;
}

function renderChannels(state) {
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

/** The bot's display name, as Slack shows it: from its profile on any message, else "Backstop". */
function botName(state) {
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

/** A node from the cache when `key` is unchanged, else freshly built. */
function cached(next, key, build) {
  const node = ui.nodes.get(key) ?? build();
  next.set(key, node);
  return node;
}

/** Puts `nodes` in `container` in order, touching only what changed (a click in progress survives). */
function reconcile(container, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...container.childNodes]) if (!wanted.has(child)) child.remove();
  nodes.forEach((node, i) => {
    const current = container.childNodes[i];
    if (current !== node) container.insertBefore(node, current ?? null);
  });
  while (container.childNodes.length > nodes.length) container.lastChild.remove();
}

function keepScroll(container, paint, forceBottom) {
  const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
  const top = container.scrollTop;
  paint();
  if (forceBottom || nearBottom) container.scrollTop = container.scrollHeight;
  else container.scrollTop = top;
}

function messageNode(state, ctx, m, replies, opts) {
  const author = authorOf(state, m);
  const extra = m.edited ? [h('span', { class: 'msg-edited' }, ['(edited)'])] : [];
  const children = [meta(author, m.ts, extra), renderMessageBody(h, m, ctx)];
  if (opts.showReplies && replies.length > 0) {
    const last = formatTime(replies[replies.length - 1].ts);
    const open = ui.thread && ui.thread.channel === m.channel && ui.thread.ts === m.ts;
    children.push(h('button', {
      type: 'button',
      class: `open-thread${open ? ' open' : ''}`,
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

function ephemeralNode(state, ctx, e, inThreadPanel) {
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

function visibleEphemerals(state) {
  return (state.ephemerals ?? []).filter((e) => !ui.dismissed.has(`${ui.me}|${e.channel}|${e.ts}`));
}

function threadIsOpen(channel, ts) {
  return ui.thread !== null && ui.thread.channel === channel && ui.thread.ts === ts;
}

function renderMessages(state, ctx, next) {
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

  const ctxKey = JSON.stringify([ctx, state.botUserId, ui.me]);
  const nodes = items.map((item) => {
    if (item.kind === 'ephemeral') {
      return cached(next, `eph|${ctxKey}|${JSON.stringify(item.e)}`, () => ephemeralNode(state, ctx, item.e, false));
    }
    const replies = repliesOf.get(item.m.ts) ?? [];
    const key = `msg|${ctxKey}|${JSON.stringify(item.m)}|${replies.length}|${replies.at(-1)?.ts ?? ''}|${threadIsOpen(item.m.channel, item.m.ts)}`;
    return cached(next, key, () => messageNode(state, ctx, item.m, replies, { testid: 'message', showReplies: true }));
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

function renderThread(state, ctx, next) {
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

  const ctxKey = JSON.stringify([ctx, state.botUserId, ui.me]);
  const items = replies.map((m) => ({ ts: m.ts, m }));
  for (const e of visibleEphemerals(state)) if (e.channel === channel && e.thread_ts === ts) items.push({ ts: e.ts, e });
  items.sort((a, b) => compareTs(a.ts, b.ts));

  const nodes = [];
  nodes.push(parent
    ? cached(next, `parent|${ctxKey}|${JSON.stringify(parent)}`, () => messageNode(state, ctx, parent, [], { className: 'thread-parent', showReplies: false }))
    : cached(next, 'parent-gone', () => h('div', { class: 'empty' }, ['This message is no longer in the channel.'])));
  const divider = replies.length ? `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}` : 'No replies yet';
  nodes.push(cached(next, `divider|${divider}`, () => h('div', { class: 'thread-divider' }, [divider])));
  for (const item of items) {
    nodes.push(item.e
      ? cached(next, `eph|${ctxKey}|${JSON.stringify(item.e)}|thread`, () => ephemeralNode(state, ctx, item.e, true))
      : cached(next, `reply|${ctxKey}|${JSON.stringify(item.m)}`, () => messageNode(state, ctx, item.m, [], { testid: 'thread-reply', className: 'reply', showReplies: false })));
  }
  const switched = body.dataset.thread !== `${channel}|${ts}`;
  body.dataset.thread = `${channel}|${ts}`;
  keepScroll(body, () => reconcile(body, nodes), switched);
}

function openThread(channel, ts) {
  ui.thread = { channel, ts };
  render();
}

function closeThread() {
  ui.thread = null;
  render();
}

// ---------------------------------------------------------------------------------------------
// Modals

function currentView(state) {
  const views = (state.views ?? []).filter((v) => !ui.closedViews.has(v.id));
  return views.length ? views[views.length - 1] : null;
}

function collectValues(node) {
  const values = {};
  for (const input of node.querySelectorAll('textarea[data-block-id][data-action-id], input[data-block-id][data-action-id]')) {
    const block = input.getAttribute('data-block-id');
    const action = input.getAttribute('data-action-id');
    values[block] = { ...(values[block] ?? {}), [action]: input.value };
  }
  return values;
}

function renderModal(state, ctx) {
  const root = $('modal-root');
  const open = currentView(state);
  if (!open) {
    if (ui.modal) root.replaceChildren();
    ui.modal = null;
    return;
  }
  if (ui.modal && ui.modal.id === open.id && ui.modal.json === JSON.stringify(open.view)) return; // keep what is typed
  const values = ui.modal && ui.modal.id === open.id ? collectValues(ui.modal.node) : {};
  buildModal(open, ctx, values, {});
}

function buildModal(open, ctx, values, errors) {
  const root = $('modal-root');
  const view = open.view ?? {};
  const text = (obj, fallback) => (obj && typeof obj.text === 'string' && obj.text) || fallback;
  const blockIds = new Set((Array.isArray(view.blocks) ? view.blocks : []).map((b) => b?.block_id).filter(Boolean));
  const stray = Object.entries(errors).filter(([block]) => !blockIds.has(block));
  const modal = h('div', { class: 'modal', 'data-testid': 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'modal-title', 'data-view-id': open.id }, [
    h('header', { class: 'modal-head' }, [
      h('h2', { id: 'modal-title', class: 'modal-title' }, [text(view.title, 'Backstop')]),
      h('button', { type: 'button', class: 'icon-button', 'data-modal': 'close', 'aria-label': 'Close' }, ['✕']),
    ]),
    h('div', { class: 'modal-body' }, [
      renderBlocks(h, view.blocks, { ...ctx, values, errors, readOnly: true }),
      ...stray.map(([block, message]) => h('div', { class: 'bk-input-error', 'data-testid': 'modal-error', role: 'alert' }, [`${block}: ${message}`])),
    ]),
    h('footer', { class: 'modal-foot' }, [
      h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'modal-cancel', 'data-modal': 'close' }, [text(view.close, 'Cancel')]),
      view.submit ? h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'modal-submit', 'data-modal': 'submit' }, [text(view.submit, 'Submit')]) : null,
    ]),
  ]);
  const backdrop = h('div', { class: 'modal-backdrop' }, [modal]);
  root.replaceChildren(backdrop);
  ui.modal = { id: open.id, json: JSON.stringify(open.view), node: modal };
  const firstError = modal.querySelector('[aria-invalid="true"]');
  const first = firstError ?? modal.querySelector('textarea, input');
  (first ?? modal.querySelector('[data-modal="submit"]'))?.focus();
}

async function submitModal() {
  const modal = ui.modal;
  if (!modal) return;
  const button = modal.node.querySelector('[data-modal="submit"]');
  if (button?.disabled) return;
  if (button) button.disabled = true;
  const values = collectValues(modal.node);
  try {
    const result = await postJson('view-submit', { user: ui.me, viewId: modal.id, values });
    const why = problem(result);
    const body = result.json?.body;
    if (result.ok && body && body.response_action === 'errors') {
      const open = currentView(ui.state) ?? { id: modal.id, view: {} };
      buildModal(open, renderCtx(ui.state), values, body.errors && typeof body.errors === 'object' ? body.errors : {});
      return;
    }
    if (why) {
      toast(`Could not submit: ${why}`, 'error');
      if (result.httpStatus === 404) dropModal(modal.id);
      return;
    }
    dropModal(modal.id);
  } catch (err) {
    toast(`Could not submit: ${err instanceof Error ? err.message : String(err)}`, 'error');
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

function dropModal(id) {
  ui.closedViews.add(id);
  if (ui.modal?.id === id) {
    $('modal-root').replaceChildren();
    ui.modal = null;
  }
  if (ui.state) renderModal(ui.state, renderCtx(ui.state));
}

function cancelModal() {
  const modal = ui.modal;
  if (!modal) return;
  dropModal(modal.id);
  postJson('view-close', { user: ui.me, viewId: modal.id }).catch(() => {
    // Closed here either way; the server forgets views on its own.
  });
}

/** Slack's confirmation dialog for buttons that carry `confirm`. */
function confirmDialog(button) {
  return new Promise((resolve) => {
    const root = $('modal-root');
    const previous = [...root.childNodes];
    const done = (answer) => {
      root.replaceChildren(...previous);
      resolve(answer);
    };
    const ok = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'confirm-ok' }, [button.getAttribute('data-confirm-ok') || 'Yes']);
    const deny = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'confirm-deny' }, [button.getAttribute('data-confirm-deny') || 'Cancel']);
    ok.addEventListener('click', () => done(true));
    deny.addEventListener('click', () => done(false));
    root.replaceChildren(h('div', { class: 'modal-backdrop' }, [h('div', { class: 'modal', role: 'alertdialog', 'aria-modal': 'true', 'data-testid': 'confirm-dialog' }, [
      h('header', { class: 'modal-head' }, [h('h2', { class: 'modal-title' }, [button.getAttribute('data-confirm-title') || 'Are you sure?'])]),
      h('div', { class: 'modal-body' }, [button.getAttribute('data-confirm-text') || '']),
      h('footer', { class: 'modal-foot' }, [deny, ok]),
    ])]));
    ok.focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Actions

function cooldownKey(button) {
  const msg = button.closest('[data-ts]');
  return `${ui.me}|${msg?.getAttribute('data-channel') ?? ''}|${msg?.getAttribute('data-ts') ?? ''}|${button.getAttribute('data-block-id') ?? ''}|${button.getAttribute('data-action-id') ?? ''}`;
}

function applyCooldowns() {
  const now = Date.now();
  for (const [key, until] of ui.cooling) if (until <= now) ui.cooling.delete(key);
  for (const button of document.querySelectorAll('.msg button[data-action-id]')) {
    if (button.closest('[data-ephemeral]')) continue;
    const cooling = ui.cooling.has(cooldownKey(button));
    button.disabled = cooling;
    button.classList.toggle('busy', cooling);
  }
}

async function clickBlockButton(button) {
  const msg = button.closest('[data-ts]');
  if (!msg || button.disabled) return;
  if (msg.hasAttribute('data-ephemeral')) {
    toast('Buttons in “only visible to you” messages are not wired up in the sandbox.', 'error');
    return;
  }
  if (button.hasAttribute('data-confirm-title') && !(await confirmDialog(button))) return;
  const key = cooldownKey(button);
  ui.cooling.set(key, Date.now() + CLICK_COOLDOWN_MS);
  applyCooldowns();
  setTimeout(applyCooldowns, CLICK_COOLDOWN_MS + 50);
  const body = {
    user: ui.me,
    channel: msg.getAttribute('data-channel'),
    messageTs: msg.getAttribute('data-ts'),
    actionId: button.getAttribute('data-action-id'),
  };
  const blockId = button.getAttribute('data-block-id');
  if (blockId) body.blockId = blockId;
  try {
    const why = problem(await postJson('click', body));
    if (why) toast(`“${button.textContent}” failed: ${why}`, 'error');
  } catch (err) {
    toast(`“${button.textContent}” failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
}

async function sendAlert(status, button) {
  if (button.disabled) return;
  button.disabled = true;
  setTimeout(() => {
    button.disabled = false;
  }, 2000);
  try {
    const result = await postJson('alert', { status });
    const why = problem(result);
    if (why) {
      toast(`The demo alert was not accepted: ${why}`, 'error');
      return;
    }
    const channel = (ui.state?.channels ?? []).find((c) => c.id === ui.channelId);
    toast(status === 'firing'
      ? `🔥 Alert sent. Backstop will post a rollback proposal${channel ? ` in #${channel.name}` : ''} in a moment.`
      : '✅ Resolve sent. Backstop closes the incident and posts the postmortem draft in the proposal’s thread.', 'ok');
  } catch (err) {
    toast(`Could not send the demo alert: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
}

async function runCommand(raw) {
  const input = $('composer');
  const trimmed = raw.trim();
  if (!trimmed) {
    toast('Type a command, for example: /backstop status', 'error');
    return;
  }
  const prefixed = /^\/backstop(\s|$)/i.test(trimmed);
  if (trimmed.startsWith('/') && !prefixed) {
    toast(`Only /backstop commands run here. Try “/backstop help”.`, 'error');
    return;
  }
  if (!ui.channelId) {
    toast('Pick a channel first.', 'error');
    return;
  }
  const text = prefixed ? trimmed.replace(/^\/backstop/i, '').trim() : trimmed;
  input.disabled = true;
  try {
    const result = await postJson('command', { user: ui.me, channel: ui.channelId, text });
    const why = problem(result);
    if (why) {
      toast(`/backstop ${text} failed: ${why}`, 'error');
      return;
    }
    ui.history.push(`/backstop ${text}`.trim());
    ui.historyAt = -1;
    input.value = '';
  } catch (err) {
    toast(`/backstop ${text} failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
  } finally {
    input.disabled = false;
    input.focus();
  }
}

function toast(message, kind = 'ok') {
  const node = h('div', { class: `toast toast-${kind}`, 'data-testid': 'toast', role: kind === 'error' ? 'alert' : 'status' }, [message]);
  node.addEventListener('click', () => node.remove());
  $('toasts').append(node);
  setTimeout(() => node.remove(), kind === 'error' ? 9000 : 5000);
}

function setGuide(visible) {
  $('guide').hidden = !visible;
  $('show-guide').hidden = visible;
}

// ---------------------------------------------------------------------------------------------
// Wiring

function wire() {
  $('user-switcher').addEventListener('change', (event) => {
    ui.me = event.target.value;
    write(STORE.user, ui.me);
    ui.modal = null;
    $('modal-root').replaceChildren();
    ui.stateJson = '';
    const user = (ui.state?.users ?? []).find((u) => u.id === ui.me);
    toast(`You are now ${user?.real_name ?? ui.me}.`, 'ok');
    refresh();
  });

  $('channel-list').addEventListener('click', (event) => {
    const button = event.target.closest('[data-channel-id]');
    if (!button) return;
    const id = button.getAttribute('data-channel-id');
    if (id !== ui.channelId) ui.thread = null;
    ui.channelId = id;
    write(STORE.channel, id);
    render();
  });

  $('fire-alert').addEventListener('click', (event) => sendAlert('firing', event.currentTarget));
  $('resolve-alert').addEventListener('click', (event) => sendAlert('resolved', event.currentTarget));
  $('close-thread').addEventListener('click', closeThread);

  $('dismiss-guide').addEventListener('click', () => {
    write(STORE.guide, '1');
    setGuide(false);
  });
  $('show-guide').addEventListener('click', () => {
    write(STORE.guide, '');
    setGuide(true);
  });

  $('composer-form').addEventListener('submit', (event) => {
    event.preventDefault();
    runCommand($('composer').value);
  });
  $('composer').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
    if (!ui.history.length) return;
    event.preventDefault();
    const last = ui.history.length - 1;
    if (event.key === 'ArrowUp') ui.historyAt = ui.historyAt < 0 ? last : Math.max(0, ui.historyAt - 1);
    else ui.historyAt = ui.historyAt < 0 || ui.historyAt >= last ? -1 : ui.historyAt + 1;
    event.target.value = ui.historyAt < 0 ? '' : ui.history[ui.historyAt];
  });
  $('composer-hint').addEventListener('click', (event) => {
    const chip = event.target.closest('[data-fill]');
    if (!chip) return;
    const input = $('composer');
    input.value = chip.getAttribute('data-fill');
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  });

  // Messages and threads: one delegated listener for buttons, thread links and dismissals.
  document.addEventListener('click', (event) => {
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (!target) return;
    const action = target.closest('.msg button[data-action-id]');
    if (action) {
      event.preventDefault();
      clickBlockButton(action);
      return;
    }
    const thread = target.closest('[data-thread-ts]');
    if (thread) {
      const msg = thread.closest('[data-channel]');
      openThread(msg?.getAttribute('data-channel') ?? ui.channelId, thread.getAttribute('data-thread-ts'));
      return;
    }
    const dismiss = target.closest('[data-dismiss]');
    if (dismiss) {
      ui.dismissed.add(dismiss.getAttribute('data-dismiss'));
      render();
      return;
    }
    const modalButton = target.closest('[data-modal]');
    if (modalButton) {
      if (modalButton.getAttribute('data-modal') === 'submit') submitModal();
      else cancelModal();
      return;
    }
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      if (ui.modal) cancelModal();
      else if (ui.thread) closeThread();
    }
    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey) && ui.modal) submitModal();
  });
}

wire();
setGuide(read(STORE.guide) !== '1');
showConnection();
refresh();
connect();
