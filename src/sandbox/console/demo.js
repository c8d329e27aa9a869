/**
 * The demo buttons: fire or resolve the demo Alertmanager alert, and Reset demo (closes what an
 * earlier demo left open and puts fraud-scorer back on the bad v42, so the alert proposes again).
 */
import { postJson, problem } from './api.js';
import { toast } from './toast.js';
import { $, ui } from './state.js';

/** Keeps a demo button disabled for a moment: one press, one alert. */
function hold(button) {
  if (button.disabled) return false;
  button.disabled = true;
  setTimeout(() => {
    button.disabled = false;
  }, 2000);
  return true;
}

async function sendAlert(status, button) {
  if (!hold(button)) return;
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

async function resetDemo(button) {
  if (!hold(button)) return;
  try {
    const result = await postJson('reset-demo', { user: ui.me });
    const why = problem(result);
    if (why) {
      toast(`Could not reset the demo: ${why}`, 'error');
      return;
    }
    ui.thread = null;
    toast(`↺ ${result.json?.message ?? 'Demo reset.'} Press 🔥 Fire demo alert to start again.`, 'ok');
  } catch (err) {
    toast(`Could not reset the demo: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
}

export function wireDemoButtons() {
  $('fire-alert').addEventListener('click', (event) => sendAlert('firing', event.currentTarget));
  $('resolve-alert').addEventListener('click', (event) => sendAlert('resolved', event.currentTarget));
  $('reset-demo').addEventListener('click', (event) => resetDemo(event.currentTarget));
}
