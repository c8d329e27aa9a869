/** "You are": the person the console acts as. Switching shows what they see (their ephemerals, their modals). */
import { toast } from './toast.js';
import { $, h, STORE, ui, write } from './state.js';

export function renderUsers(state) {
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

/** Wires the switcher; `refresh` fetches the state as the new person. */
export function wireUserSwitcher(refresh) {
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
}
