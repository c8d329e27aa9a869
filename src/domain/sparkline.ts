import { fmt } from './sli.js';

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
/** A step without data: shown, never drawn as a value. */
export const GAP = '·';
const FLAT = '▄';

export interface SparklineOptions {
  /** Append the extremes of the data, e.g. `… min 0.8 max 0.91`. */
  markers?: boolean;
  /** How a marker value is written; defaults to the SLI reason format (4 significant digits). */
  format?: (v: number) => string;
}

/**
 * A text sparkline, exactly `width` characters: the series is resampled to `width` cells (bucket
 * means when longer, repeated cells when shorter), `·` marks cells without data (null, NaN, ±Inf),
 * and a flat series draws the middle block. Blocks span the drawn cells' min to max, so the lowest
 * cell is `▁` and the highest `█` whatever the resampling averaged away.
 */
export function sparkline(values: readonly (number | null)[], width = 24, options: SparklineOptions = {}): string {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`sparkline width must be a positive integer, got ${width}`);

  const cells = resample(values, width);
  const drawn = extremes(cells);
  const line = cells
    .map((v) => {
      if (v === null) return GAP;
      if (drawn === null || drawn.max === drawn.min) return FLAT;
      const level = Math.round(((v - drawn.min) / (drawn.max - drawn.min)) * (BLOCKS.length - 1));
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, level))] ?? FLAT;
    })
    .join('');

  // Markers report the data's true extremes, not the bucket means that were drawn.
  const data = extremes(values);
  if (!options.markers || data === null) return line;
  const format = options.format ?? ((v: number) => fmt(v));
  return `${line} min ${format(data.min)} max ${format(data.max)}`;
}

function extremes(values: readonly (number | null)[]): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? null : { min, max };
}

/** Maps `values` onto `width` cells: the mean of each bucket's data, or null when it has none. */
function resample(values: readonly (number | null)[], width: number): (number | null)[] {
  const n = values.length;
  const cells: (number | null)[] = [];
  for (let i = 0; i < width; i++) {
    if (n === 0) {
      cells.push(null);
      continue;
    }
    const from = Math.floor((i * n) / width);
    const to = Math.max(from + 1, Math.floor(((i + 1) * n) / width));
    let sum = 0;
    let count = 0;
    for (let j = from; j < to; j++) {
      const v = values[j];
      if (v !== null && v !== undefined && Number.isFinite(v)) {
        sum += v;
        count++;
      }
    }
    cells.push(count === 0 ? null : sum / count);
  }
  return cells;
}
