/**
 * The sandbox console: a person plays the incident channel against the local Slack emulator.
 * This module wires the page; the others each hold one concept (live.js: state and updates,
 * render.js: state → page, message-list.js / thread-panel.js / message-node.js: messages,
 * modals.js, actions.js: buttons, composer.js: commands, demo.js: demo buttons,
 * user-switcher.js). Every message is rendered through block-kit-render.js with a DOM factory,
 * so message text never reaches an HTML parser.
 */
import { clickBlockButton } from './actions.js';
import { wireComposer } from './composer.js';
import { wireDemoButtons } from './demo.js';
import { refresh, startLive } from './live.js';
import { cancelModal, submitModal } from './modals.js';
import { applyState, render } from './render.js';
import { $, read, STORE, ui, write } from './state.js';
import { wireUserSwitcher } from './user-switcher.js';

function openThread(channel, ts) {
  ui.thread = { channel, ts };
  render();
}

function closeThread() {
  ui.thread = null;
  render();
}

function setGuide(visible) {
  $('guide').hidden = !visible;
  $('show-guide').hidden = visible;
}

function wire() {
  wireUserSwitcher(refresh);
  wireDemoButtons();
  wireComposer();

  $('channel-list').addEventListener('click', (event) => {
    const button = event.target.closest('[data-channel-id]');
    if (!button) return;
    const id = button.getAttribute('data-channel-id');
    if (id !== ui.channelId) ui.thread = null;
    ui.channelId = id;
    write(STORE.channel, id);
    render();
  });
  $('close-thread').addEventListener('click', closeThread);
  $('dismiss-guide').addEventListener('click', () => {
    write(STORE.guide, '1');
    setGuide(false);
  });
  $('show-guide').addEventListener('click', () => {
    write(STORE.guide, '');
    setGuide(true);
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
startLive(applyState);
