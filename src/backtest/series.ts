/**
 * Recorded SLI data for a backtest: CSV with the header `at,sli,value`, one row per SLI per
 * instant. An empty value is "no data", the word `error` is "the provider failed", NaN and ±Inf
 * are no data (as Prometheus treats them). Every problem names its line and column and the fix.
 */

/** A recorded value: a number, null (no data) or 'error' (the provider failed). */
export type Recorded = number | null | 'error';

export interface SeriesRow {
  at: number;
  sli: string;
  value: Recorded;
  /** 1-based line in its file, for messages. */
  line: number;
}

export interface SeriesProblem {
  line: number;
  column?: number;
  message: string;
}

export type SeriesResult = { ok: true; rows: SeriesRow[] } | { ok: false; problems: SeriesProblem[] };

const HEADER = ['at', 'sli', 'value'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const NO_DATA = new Set(['nan', '+inf', '-inf', 'inf']);
/** Enough to tell a typo from a real problem; a file with thousands of bad lines is one mistake. */
const MAX_PROBLEMS = 20;

/** An ISO 8601 time with a zone (`2025-03-04T10:00:00Z`), as milliseconds; undefined if it is not one. */
export function parseIsoTime(text: string): number | undefined {
  if (!ISO.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseValue(raw: string): Recorded | undefined {
  if (raw === '') return null;
  if (raw === 'error') return 'error';
  if (NO_DATA.has(raw.toLowerCase())) return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses and checks one CSV file; `slis` are the names the service's policy knows. */
export function parseSeriesCsv(text: string, slis: readonly string[]): SeriesResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const problems: SeriesProblem[] = [];
  const header = (lines[0] ?? '').split(',').map((c) => c.trim().toLowerCase());
  if (header.join(',') !== HEADER.join(',')) {
    return { ok: false, problems: [{ line: 1, message: `the header must be exactly "at,sli,value" (found "${lines[0] ?? ''}")` }] };
  }
  const rows: SeriesRow[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length && problems.length < MAX_PROBLEMS; i++) {
    const raw = lines[i]!.trim();
    const line = i + 1;
    // Blank lines and # comments let people annotate a series by hand.
    if (raw === '' || raw.startsWith('#')) continue;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length !== 3) {
      problems.push({ line, message: `expected 3 columns (at,sli,value), found ${cells.length}; a value must not contain a comma` });
      continue;
    }
    const [atText, sli, valueText] = cells as [string, string, string];
    const at = parseIsoTime(atText);
    if (at === undefined) {
      problems.push({ line, column: 1, message: `"${atText}" is not an ISO 8601 time with a zone; write it like 2025-03-04T10:00:00Z` });
      continue;
    }
    if (!slis.includes(sli)) {
      problems.push({ line, column: 2, message: `"${sli}" is not an SLI of this service; its SLIs are: ${slis.join(', ')}` });
      continue;
    }
    const value = parseValue(valueText);
    if (value === undefined) {
      problems.push({ line, column: 3, message: `"${valueText}" is not a number; leave it empty for no data, or write "error" where the provider failed` });
      continue;
    }
    const key = `${at}\u0000${sli}`;
    const before = seen.get(key);
    if (before !== undefined) {
      problems.push({ line, column: 1, message: `${sli} at ${new Date(at).toISOString()} is already given on line ${before}; keep one row per SLI and time` });
      continue;
    }
    seen.set(key, line);
    rows.push({ at, sli, value, line });
  }
  if (problems.length > 0) return { ok: false, problems };
  rows.sort((a, b) => a.at - b.at || a.line - b.line);
  return { ok: true, rows };
}

/** One SLI's recorded values in time order, read the way a metrics backend is: the latest sample at or before a time. */
export class SliTimeline {
  private readonly times: number[];
  private readonly values: Recorded[];

  constructor(rows: readonly SeriesRow[]) {
    const sorted = [...rows].sort((a, b) => a.at - b.at);
    this.times = sorted.map((r) => r.at);
    this.values = sorted.map((r) => r.value);
  }

  /** The value at the latest row ≤ `ms`; null (no data) before the first row. */
  valueAt(ms: number): Recorded {
    let lo = 0;
    let hi = this.times.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! <= ms) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? null : this.values[found]!;
  }
}
