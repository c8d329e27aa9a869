/** Every request the emulator answered, for tests to inspect and for `describe()`. */
import type { ApiResult } from './api-result.js';
import { jsonArg, type Args } from './args.js';
import type { Settings } from './options.js';
import type { ApiCall, ChangeEvent } from './types.js';

/** Arguments WebClient sends as encoded JSON; the log shows them decoded. */
const JSON_FIELDS: readonly string[] = ['blocks', 'attachments', 'view', 'files', 'metadata'];

export class CallLog {
  readonly entries: ApiCall[] = [];

  constructor(
    private readonly clock: Settings['clock'],
    private readonly onChange: (event: ChangeEvent) => void,
  ) {}

  record(method: string, args: Args, status: number, result: ApiResult): void {
    const call: ApiCall = {
      method,
      args: argsForLog(args),
      time: this.clock.now(),
      status,
      ok: status === 200 && result.ok,
      ...(result.error !== undefined ? { error: result.error } : {}),
    };
    this.entries.push(call);
    this.onChange({ kind: 'call', call: structuredClone(call) });
  }
}

/** The token dropped, JSON fields decoded, binary parts summarised by size. */
function argsForLog(args: Args): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === 'token') continue;
    if (Buffer.isBuffer(value)) {
      out[key] = `<${value.length} bytes>`;
      continue;
    }
    if (JSON_FIELDS.includes(key) && typeof value === 'string') {
      const parsed = jsonArg(args, key);
      out[key] = parsed.kind === 'ok' ? parsed.value : value;
      continue;
    }
    out[key] = value;
  }
  return structuredClone(out);
}
