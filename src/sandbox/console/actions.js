/**
 * Block Kit buttons in messages: clicked as the current person, sent to the bot as Slack would,
 * and held disabled for a moment so a double click is one click.
 */
import { postJson, problem } from './api.js';
import { confirmDialog } from './modals.js';
import { toast } from './toast.js';
import { ui } from './state.js';

const CLICK_COOLDOWN_MS = 1500;

function cooldownKey(button) {
  const msg = button.closest('[data-ts]');
  return `${ui.me}|${msg?.getAttribute('data-channel') ?? ''}|${msg?.getAttribute('data-ts') ?? ''}|${button.getAttribute('data-block-id') ?? ''}|${button.getAttribute('data-action-id') ?? ''}`;
}

export function applyCooldowns() {
  const now = Date.now();
  for (const [key, until] of ui.cooling) if (until <= now) ui.cooling.delete(key);
  for (const button of document.querySelectorAll('.msg button[data-action-id]')) {
    if (button.closest('[data-ephemeral]')) continue;
    const cooling = ui.cooling.has(cooldownKey(button));
    button.disabled = cooling;
    button.classList.toggle('busy', cooling);
  }
}

export async function clickBlockButton(button) {
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
