/** `views.open`, and the trigger ids it exchanges: Slack accepts each once, within seconds. */
import { validateView } from '../../block-kit.js';
import { fail, type ApiResult, type Handler } from '../api-result.js';
import { isRecord, jsonArg, str, type Args } from '../args.js';
import { withGeneratedIds } from '../messages.js';
import type { OpenedView } from '../types.js';
import type { Workspace } from '../workspace.js';

export function viewsMethods(ws: Workspace): Record<string, Handler> {
  return {
    'views.open': (a) => open(ws, a),
  };
}

/** Mints a trigger id, as Slack does for each interaction by `userId`. */
export function mintTriggerId(ws: Workspace, userId?: string): string {
  const n = ws.nextSeq();
  const id = `${n}.${ws.identity.teamId.replace(/\D/g, '') || '1'}.${n.toString(16).padStart(32, '0')}`;
  ws.triggers.set(id, { issuedAt: ws.nowMs(), used: false, ...(userId !== undefined ? { user: userId } : {}) });
  return id;
}

function invalidArguments(...messages: string[]): ApiResult {
  return fail('invalid_arguments', { response_metadata: { messages } });
}

function open(ws: Workspace, args: Args): ApiResult {
  const triggerId = str(args, 'trigger_id');
  if (!triggerId) return invalidArguments('[ERROR] missing required field: trigger_id');
  const raw = jsonArg(args, 'view');
  if (raw.kind === 'absent') return invalidArguments('[ERROR] missing required field: view');
  if (raw.kind === 'bad' || !isRecord(raw.value)) return invalidArguments('[ERROR] view must be a JSON object');
  let user: string | undefined;
  if (ws.settings.strictTriggers) {
    const trigger = ws.triggers.get(triggerId);
    if (!trigger) return fail('invalid_trigger_id');
    if (trigger.used) return fail('trigger_exchanged');
    if (ws.nowMs() - trigger.issuedAt > ws.settings.triggerTtlMs) return fail('expired_trigger_id');
    trigger.used = true;
    user = trigger.user;
  }
  const validation = validateView(raw.value);
  if (!validation.ok) return invalidArguments(...validation.errors);
  const viewId = ws.nextId('V');
  const blocks = Array.isArray(raw.value.blocks) ? withGeneratedIds(ws, raw.value.blocks) : [];
  const { teamId, appId, botId } = ws.identity;
  const view = {
    id: viewId,
    team_id: teamId,
    ...raw.value,
    blocks,
    private_metadata: str(raw.value, 'private_metadata') ?? '',
    callback_id: str(raw.value, 'callback_id') ?? '',
    state: { values: {} },
    hash: `${ws.nowSeconds()}.${viewId}`,
    root_view_id: viewId,
    previous_view_id: null,
    app_id: appId,
    bot_id: botId,
  };
  const opened: OpenedView = { id: viewId, trigger_id: triggerId, view, ...(user !== undefined ? { user } : {}) };
  ws.views.push(opened);
  ws.changed({ kind: 'view', view: structuredClone(opened) });
  return { ok: true, view: structuredClone(view) };
}
