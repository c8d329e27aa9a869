import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s", "15m", "2h", "1d", "500ms" or a bare number of milliseconds → milliseconds. */
export const durationSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(ms|s|m|h|d)$/, 'use a duration such as "30s", "15m" or "2h"'),
]).transform((v) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
  return Number(m[1]) * UNITS[m[2]!]!;
});
