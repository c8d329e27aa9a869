/**
 * An always-valid sequential test for a shift in the mean: the mixture sequential probability
 * ratio test (mSPRT) of Johari, Pekelis & Walsh, "Always Valid Inference" (2017), the method
 * behind Optimizely's Stats Engine and guarded-rollout tools.
 *
 * Why this one: continuous analysis looks at every interval of the bake window. A fixed-sample
 * test (t, Mann-Whitney) checked 30 times rolls back healthy deploys far more often than its
 * alpha says. The mixture likelihood ratio Λ is a non-negative martingale while nothing has
 * changed, so by Ville's inequality the chance that it EVER reaches 1/alpha, however often it is
 * looked at, is at most alpha. Λ is computed from all post-deploy samples at each look (no state).
 *
 * Model: pre-deploy samples give the baseline mean and the noise sd σ. With
 * d = mean(post) − mean(pre), signed so positive is the SLI's bad direction, and
 * v = σ²(1/n + 1/m) its variance (the baseline mean's own error included, which keeps Λ an exact
 * likelihood ratio of the post-deploy samples against an estimated baseline), a half-normal
 * mixture prior of scale τ on the bad-side shift gives
 *   Λ = 2·Φ(d·τ / √(v(v+τ²))) · √(v/(v+τ²)) · exp(d²τ² / (2v(v+τ²))).
 * One-sided: a move in the good direction never builds evidence. σ is a plug-in estimate from the
 * baseline, so the guarantee is approximate for short baselines (callers ask for enough samples).
 *
 * Autocorrelation: a Prometheus `rate(…[5m])` read every minute gives overlapping samples, and
 * treating them as independent made this test roll back about a quarter of unchanged deploys in
 * simulation. So v uses the long-run variance (Newey-West, Bartlett weights, bandwidth √m) of the
 * baseline instead of σ², never below σ²: independent samples lose nothing measurable.
 */
export interface SequentialOptions {
  /** Bound on the probability of ever breaching when nothing changed. */
  alpha: number;
  /** Mixture scale in baseline standard deviations: the shift size the test is most sensitive to. */
  tau: number;
  /** Which way is bad for this SLI. */
  bad: 'higher' | 'lower';
}

export interface SequentialResult {
  /** ln Λ (Λ itself overflows for large shifts). */
  logLambda: number;
  /** ln(1/alpha): the boundary. */
  logBoundary: number;
  breach: boolean;
  baselineMean: number;
  baselineSd: number;
  currentMean: number;
  /** mean(post) − mean(pre), in SLI units (sign as measured, not as bad/good). */
  shift: number;
  /** Long-run variance over σ² (≥ 1): how much overlap between samples shrinks the evidence. */
  inflation: number;
  n: number;
  m: number;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mu = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - mu) ** 2, 0) / (xs.length - 1));
}

/** Long-run variance of the series over its variance: 1 + 2Σ w_k ρ_k (Bartlett weights), at least 1. */
export function varianceInflation(xs: readonly number[]): number {
  const m = xs.length;
  const mu = mean(xs);
  const gamma = (k: number) => {
    let s = 0;
    for (let i = k; i < m; i++) s += (xs[i]! - mu) * (xs[i - k]! - mu);
    return s / m;
  };
  const g0 = gamma(0);
  if (!(g0 > 0)) return 1;
  const bandwidth = Math.floor(Math.sqrt(m));
  let lr = g0;
  for (let k = 1; k <= bandwidth && k < m; k++) lr += 2 * (1 - k / (bandwidth + 1)) * gamma(k);
  return Math.max(1, lr / g0);
}

/**
 * ln erfc(x) for x ≥ 0 (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7 everywhere),
 * computed in logs so a large shift in the good direction never underflows to −∞.
 */
function logErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}

/** ln(2Φ(z)), since 2Φ(z) = erfc(−z/√2). */
function logTwoPhi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  return z < 0 ? logErfc(x) : Math.log(2 - Math.exp(logErfc(x)));
}

/** ln Λ for a bad-side shift estimate `dBad` with variance `v`, mixture variance `t2`. */
export function logMixtureRatio(dBad: number, v: number, t2: number): number {
  const z = (dBad * Math.sqrt(t2)) / Math.sqrt(v * (v + t2));
  return logTwoPhi(z) + 0.5 * Math.log(v / (v + t2)) + (dBad * dBad * t2) / (2 * v * (v + t2));
}

/** The test on finite samples; null when the baseline has no noise to measure against (σ = 0) or a side is empty. */
export function sequentialTest(baseline: readonly number[], current: readonly number[], o: SequentialOptions): SequentialResult | null {
  const m = baseline.length;
  const n = current.length;
  if (m < 2 || n < 1) return null;
  const sd = sampleSd(baseline);
  if (!(sd > 0)) return null;
  const baselineMean = mean(baseline);
  const currentMean = mean(current);
  const shift = currentMean - baselineMean;
  const dBad = o.bad === 'higher' ? shift : -shift;
  const inflation = varianceInflation(baseline);
  const v = sd * sd * inflation * (1 / n + 1 / m);
  const t2 = (o.tau * sd) ** 2;
  const logLambda = logMixtureRatio(dBad, v, t2);
  const logBoundary = Math.log(1 / o.alpha);
  return { logLambda, logBoundary, breach: logLambda >= logBoundary, baselineMean, baselineSd: sd, currentMean, shift, inflation, n, m };
}
