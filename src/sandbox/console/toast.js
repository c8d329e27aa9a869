/** Short notes in the corner: what a button did, or why it could not. Click to dismiss. */
import { $, h } from './state.js';

export function toast(message, kind = 'ok') {
  const node = h('div', { class: `toast toast-${kind}`, 'data-testid': 'toast', role: kind === 'error' ? 'alert' : 'status' }, [message]);
  node.addEventListener('click', () => node.remove());
  $('toasts').append(node);
  setTimeout(() => node.remove(), kind === 'error' ? 9000 : 5000);
}
