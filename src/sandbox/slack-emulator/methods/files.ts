/**
 * Slack's external upload, in its three steps: `files.getUploadURLExternal` hands out an upload
 * URL, the client POSTs the bytes there (`receiveUpload`), `files.completeUploadExternal`
 * shares the file, optionally as a message in a channel or thread.
 */
import { fail, type ApiResult, type Handler } from '../api-result.js';
import { int, isRecord, jsonArg, str, type Args } from '../args.js';
import { appendMessage, botAuthored, findThreadParent } from '../messages.js';
import { fileEventCopy, fileObject } from '../serialise.js';
import type { SlackMessage, UploadedFile } from '../types.js';
import type { ChannelState, Workspace } from '../workspace.js';

export function filesMethods(ws: Workspace): Record<string, Handler> {
  return {
    'files.getUploadURLExternal': (a) => getUploadUrlExternal(ws, a),
    'files.completeUploadExternal': (a) => completeUploadExternal(ws, a),
  };
}

function invalidArguments(...messages: string[]): ApiResult {
  return fail('invalid_arguments', { response_metadata: { messages } });
}

function getUploadUrlExternal(ws: Workspace, args: Args): ApiResult {
  const filename = str(args, 'filename');
  const length = int(args, 'length');
  const missing = [!filename ? 'filename' : undefined, length === undefined ? 'length' : undefined].filter((m) => m !== undefined);
  if (missing.length > 0) return invalidArguments(...missing.map((m) => `[ERROR] missing required field: ${m}`));
  if (length === undefined || length <= 0) return invalidArguments('[ERROR] length must be greater than 0');
  const id = ws.nextId('F');
  ws.files.set(id, { id, filename: filename ?? '', title: filename ?? '', length, content: null, channels: [], completed: false });
  return { ok: true, upload_url: `${ws.requireOrigin()}/upload/v1/${id}`, file_id: id };
}

/**
 * The bytes POSTed to an upload URL, raw or as the first file of a multipart form. Answers in
 * plain text, as Slack's upload host does.
 */
export async function receiveUpload(ws: Workspace, id: string, contentType: string, body: Buffer): Promise<{ status: number; text: string }> {
  const file = ws.files.get(decodeURIComponent(id));
  if (!file) return { status: 404, text: 'file_not_found' };
  let content = body;
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    for (const value of form.values()) {
      if (typeof value !== 'string') {
        content = Buffer.from(await value.arrayBuffer());
        break;
      }
    }
  }
  file.content = content;
  ws.changed({ kind: 'file', file: fileEventCopy(file) });
  return { status: 200, text: `OK - ${content.length}` };
}

function completeUploadExternal(ws: Workspace, args: Args): ApiResult {
  const raw = jsonArg(args, 'files');
  if (raw.kind !== 'ok' || !Array.isArray(raw.value) || raw.value.length === 0) {
    return invalidArguments('[ERROR] files must be a non-empty JSON array of {id, title}');
  }
  const requested: { id: string; title?: string }[] = [];
  for (const f of raw.value) {
    if (!isRecord(f) || typeof f.id !== 'string') return invalidArguments('[ERROR] each file needs an id');
    requested.push({ id: f.id, ...(typeof f.title === 'string' ? { title: f.title } : {}) });
  }
  const files: UploadedFile[] = [];
  for (const r of requested) {
    const file = ws.files.get(r.id);
    if (!file || file.content === null) return fail('file_not_found');
    files.push(file);
  }
  const channelId = str(args, 'channel_id');
  let channel: ChannelState | undefined;
  let parent: SlackMessage | undefined;
  if (channelId) {
    channel = ws.channels.get(channelId);
    const denied = ws.denied(channel, 'write');
    if (denied || !channel) return fail(denied ?? 'channel_not_found');
    const threadTs = str(args, 'thread_ts');
    if (threadTs) {
      parent = findThreadParent(channel, threadTs);
      if (!parent) return fail('thread_not_found');
    }
  }
  requested.forEach((r, i) => {
    const file = files[i];
    if (!file) return;
    if (r.title !== undefined) file.title = r.title;
    file.completed = true;
    if (channel) file.channels.push(channel.id);
  });
  const objects = files.map((f) => fileObject(ws, f));
  if (channel) {
    appendMessage(ws, channel, { ...botAuthored(ws, str(args, 'initial_comment') ?? '', {}), files: objects }, parent);
  }
  for (const f of files) ws.changed({ kind: 'file', file: fileEventCopy(f) });
  return { ok: true, files: objects };
}
