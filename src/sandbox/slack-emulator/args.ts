/**
 * Reading Web API arguments. WebClient sends form fields, so every value may arrive as a string:
 * numbers and booleans as text, JSON fields (blocks, view, …) as encoded JSON.
 */

export type Args = Record<string, unknown>;

export type JsonArg = { kind: 'absent' } | { kind: 'ok'; value: unknown } | { kind: 'bad' };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function bool(args: Args, key: string): boolean {
  const v = args[key];
  return v === true || v === 'true' || v === '1' || v === 1;
}

export function int(args: Args, key: string): number | undefined {
  const s = str(args, key);
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isInteger(n) ? n : undefined;
}

export function jsonArg(args: Args, key: string): JsonArg {
  const v = args[key];
  if (v === undefined || v === null || v === '') return { kind: 'absent' };
  if (typeof v !== 'string') return { kind: 'ok', value: v };
  try {
    return { kind: 'ok', value: JSON.parse(v) as unknown };
  } catch {
    return { kind: 'bad' };
  }
}

/** A comma-separated id list (`users=U1,U2`), blanks dropped. */
export function idList(args: Args, key: string): string[] {
  return (str(args, key) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Cursor pagination as Slack does it: an opaque `next_cursor`, empty on the last page. */
export function paginate<T>(items: readonly T[], args: Args, defaultLimit: number, maxLimit: number): { page: T[]; next: string } {
  const requested = int(args, 'limit');
  const limit = requested === undefined || requested <= 0 ? defaultLimit : Math.min(requested, maxLimit);
  const cursor = str(args, 'cursor');
  let offset = 0;
  if (cursor) {
    const decoded = Buffer.from(cursor, 'base64').toString('utf8');
    const m = /^offset:(\d+)$/.exec(decoded);
    offset = m?.[1] !== undefined ? Number(m[1]) : 0;
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '';
  return { page, next };
}
