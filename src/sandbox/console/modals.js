/**
 * Modals the bot opens (views.open, e.g. the reject reason) and Slack's confirmation dialog for
 * buttons that carry `confirm`. What is typed survives re-renders; validation errors the bot
 * answers (`response_action: errors`) show under their inputs.
 */
import { postJson, problem } from './api.js';
import { renderBlocks } from './block-kit-render.js';
import { renderCtx } from './render-ctx.js';
import { toast } from './toast.js';
import { $, h, ui } from './state.js';

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

export function renderModal(state, ctx) {
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

export async function submitModal() {
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

export function cancelModal() {
  const modal = ui.modal;
  if (!modal) return;
  dropModal(modal.id);
  postJson('view-close', { user: ui.me, viewId: modal.id }).catch(() => {
    // Closed here either way; the server forgets views on its own.
  });
}

/** Slack's confirmation dialog for buttons that carry `confirm`. */
export function confirmDialog(button) {
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
