/** The composer: `/backstop …` commands run as the current person, with ↑/↓ history and chips that fill it in. */
import { postJson, problem } from './api.js';
import { toast } from './toast.js';
import { $, ui } from './state.js';

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

export function wireComposer() {
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
}
