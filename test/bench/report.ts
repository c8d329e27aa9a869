/**
 * Figures and how they are printed: each figure measured once per repetition, with the baseline
 * of that repetition; the table shows min / median / max over the repetitions, and a target is
 * judged on the median.
 */

export interface Figure {
  id: string;
  name: string;
  unit: string;
  backstop: number;
  baseline: number;
  baselineName: string;
  /** backstop / baseline. */
  ratio: number;
  target: string;
  /** Whether the target is met by these values (applied to the medians); absent: no target. */
  check?: (backstop: number, ratio: number) => boolean;
  /** Why no ratio is reported (the load generator was the limit). */
  refused?: string;
  detail?: Record<string, unknown>;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export interface Aggregate {
  id: string;
  name: string;
  unit: string;
  baselineName: string;
  target: string;
  reps: number;
  backstop: Spread;
  baseline: Spread;
  /** Over the repetitions whose ratio was reported. */
  ratio: Spread;
  refused: string[];
  met: boolean | null;
  details: (Record<string, unknown> | undefined)[];
}

function spread(xs: number[]): Spread {
  const ok = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (ok.length === 0) return { min: NaN, median: NaN, max: NaN };
  return { min: ok[0]!, median: ok[Math.floor((ok.length - 1) / 2)]!, max: ok[ok.length - 1]! };
}

/** One row per figure over every repetition (`reps[k]` holds repetition k's figures), in order of first appearance. */
export function aggregate(reps: Figure[][]): Aggregate[] {
  const groups = new Map<string, Figure[]>();
  for (const figures of reps) for (const f of figures) {
    const key = `${f.id}\u0000${f.name}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()].map((fs) => {
    const first = fs[0]!;
    const backstop = spread(fs.map((f) => f.backstop));
    const ratio = spread(fs.filter((f) => !f.refused).map((f) => f.ratio));
    const refused = fs.flatMap((f) => (f.refused ? [f.refused] : []));
    const usesRatio = first.target.includes('ratio') || first.target.includes('×');
    let met: boolean | null = null;
    if (first.check) met = usesRatio && !Number.isFinite(ratio.median) ? false : first.check(backstop.median, ratio.median);
    return {
      id: first.id, name: first.name, unit: first.unit, baselineName: first.baselineName, target: first.target, reps: fs.length,
      backstop, baseline: spread(fs.map((f) => f.baseline)), ratio, refused, met, details: fs.map((f) => f.detail),
    };
  });
}

export function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '—';
  if (['alerts/s', 'alerts', 'proposals', 'calls'].includes(unit)) return Math.round(v).toLocaleString('en-US');
  if (unit === 'MB') return v.toFixed(1);
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

const range = (s: Spread, f: (v: number) => string) => (s.min === s.max || !Number.isFinite(s.min) ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`);

export function table(rows: Aggregate[]): string {
  return [
    '| # | figure | Backstop median (min–max) | baseline median (min–max) | ratio median (min–max) | target | met |',
    '|---|---|---:|---:|---:|---|:---:|',
    ...rows.map((r) => {
      let ratio = range(r.ratio, (v) => v.toFixed(2));
      if (r.refused.length) ratio = `${ratio} (${r.refused.length} of ${r.reps} not reported: ${r.refused[0]})`;
      return `| ${r.id} | ${r.name} | ${range(r.backstop, (v) => fmt(v, r.unit))} ${r.unit} | ${range(r.baseline, (v) => fmt(v, r.unit))} ${r.unit} (${r.baselineName}) | ${ratio} | ${r.target} | ${r.met === null ? '' : r.met ? '✅' : '❌'} |`;
    }),
  ].join('\n');
}
