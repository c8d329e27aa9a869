/**
 * Mann-Whitney U test (two-sided alternative reduced to one direction by the caller), with the
 * normal approximation and tie correction, as Kayenta uses to judge noisy metrics. Pure.
 */
export interface MannWhitneyResult {
  u: number;
  /** z of the current sample's rank sum: positive means current tends to be larger. */
  z: number;
  /** One-sided p-value for "current is larger" (pGreater) and "current is smaller" (pLess). */
  pGreater: number;
  pLess: number;
}

export function mannWhitney(baseline: readonly number[], current: readonly number[]): MannWhitneyResult | null {
  const n1 = baseline.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) return null;
  const all = [...baseline.map((v) => ({ v, g: 0 })), ...current.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let r2 = 0;
  all.forEach((x, i) => {
    if (x.g === 1) r2 += ranks[i]!;
  });
  const u2 = r2 - (n2 * (n2 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u: u2, z: 0, pGreater: 0.5, pLess: 0.5 };
  // Continuity correction of 0.5 towards the mean.
  const diff = u2 - mean;
  const z = (diff - Math.sign(diff) * 0.5) / Math.sqrt(variance);
  return { u: u2, z, pGreater: 1 - normalCdf(z), pLess: normalCdf(z) };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf), accurate to ~1e-7. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Median of finite samples (for reasons people read), null when empty. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
