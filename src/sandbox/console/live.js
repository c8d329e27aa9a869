/**
 * Live updates: `api/state` fetched whenever `api/events` (Server-Sent Events) says something
 * changed, with polling every 2 s while that stream is down, and the connection shown in the
 * sidebar. What to do with a fresh state is the caller's (`startLive(onState)`).
 */
import { api } from './api.js';
import { $, ui } from './state.js';

const POLL_MS = 2000;

let onState = () => {};
let fetching = false;
let fetchAgain = false;
let fetchSeq = 0;
let pollTimer = null;
let live = false;
let reachable = true;

export function refresh() {
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
      onState(state);
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

/** Fetches the state now and whenever it changes, handing each fresh one to `handler`. */
export function startLive(handler) {
  onState = handler;
  showConnection();
  refresh();
  connect();
}
