/** A readable summary of what the emulator has seen, for test failure messages. */
import { clip } from '../../text/clip.js';
import { str } from './args.js';
import type { ApiCall } from './types.js';
import type { Workspace } from './workspace.js';

/** Only the latest calls: a long test's full log would bury the failure. */
const CALLS_SHOWN = 40;

export function describe(ws: Workspace, callLog: readonly ApiCall[]): string {
  const lines: string[] = [];
  const calls = callLog.slice(-CALLS_SHOWN);
  lines.push(`calls (${callLog.length}${callLog.length > calls.length ? `, last ${calls.length}` : ''}):`);
  if (calls.length === 0) lines.push('  (none)');
  for (const c of calls) {
    const where = str(c.args, 'channel') ?? str(c.args, 'channel_id') ?? '';
    lines.push(`  ${c.method}${where ? ` ${where}` : ''} → ${c.ok ? 'ok' : (c.error ?? `HTTP ${c.status}`)}`);
  }
  for (const ch of ws.channels.values()) {
    if (ch.messages.length === 0) continue;
    lines.push(`messages in ${ch.is_im ? `DM with ${ch.user ?? '?'}` : `#${ch.name}`} (${ch.id}):`);
    for (const m of ch.messages) {
      const thread = m.thread_ts && m.thread_ts !== m.ts ? ` (in thread ${m.thread_ts})` : '';
      const blocks = m.blocks?.length ? ` [${m.blocks.length} blocks]` : '';
      lines.push(`  ${m.ts} ${m.user ?? m.bot_id ?? '?'}${thread}: ${JSON.stringify(clip(m.text, 120))}${blocks}`);
    }
  }
  if (ws.ephemerals.length > 0) {
    lines.push('ephemerals:');
    for (const e of ws.ephemerals) lines.push(`  to ${e.user} in ${e.channel} via ${e.via}: ${JSON.stringify(clip(e.text, 120))}`);
  }
  if (ws.views.length > 0) lines.push(`views opened: ${ws.views.map((v) => v.id).join(', ')}`);
  return lines.join('\n');
}
