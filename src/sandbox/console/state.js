/**
 * The console page's state: who the person is, which channel and thread are open, what the
 * server last said, and the little memory of the page (dismissals, cooldowns, command history).
 * One object, shared by the modules that render and act on it.
 */
import { domH } from './element-factory.js';

export const h = domH(document);
export const $ = (id) => document.getElementById(id);

export const STORE = { user: 'backstop.sandbox.user', channel: 'backstop.sandbox.channel', guide: 'backstop.sandbox.guideDismissed' };

export function read(key) {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

export function write(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

export const ui = {
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
