/**
 * The two tests behind a verdict: Mann-Whitney U on the raw samples (no
 * normality assumed; timing samples are skewed) and a bootstrap confidence
 * interval of the ratio of medians (the size of the change, with its
 * uncertainty). Seeded, so a verdict is reproducible.
 */
import { quantileSorted } from '../stats/quantile.js';

/** mulberry32: small, fast, seedable; statistical quality is ample for resampling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export interface MannWhitney {
  u: number;
  z: number;
  /** two-sided */
  p: number;
}

/** Two-sided Mann-Whitney U test, normal approximation with tie and continuity corrections. */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney {
  const n1 = a.length, n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, z: NaN, p: NaN };
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  let rankSumA = 0, tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1].v === all[i].v) j++;
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    if (t > 1) tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k].g === 0) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, z: 0, p: 1 };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, z: Math.sign(u - mu) * Math.max(0, z), p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))) };
}

/** A standard normal variate (Box-Muller). */
function normal(next: () => number): number {
  let u = 0;
  while (u === 0) u = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** A Gamma(shape, 1) variate, shape >= 1 (Marsaglia and Tsang, 2000). */
function gamma(shape: number, next: () => number): number {
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = normal(next);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * The median of one bootstrap resample of `sorted` (n values drawn with replacement), without drawing them.
 * A resample is n indices floor(n u) of uniforms u, so its k-th smallest index is floor(n U(k)), U(k) the k-th
 * smallest of n uniforms: a Beta(k, n - k + 1) variate; the next one up is U(k) plus the smallest of the
 * n - k uniforms above it. Same distribution as drawing and sorting, in O(1) instead of O(n log n): the gate
 * study compares tens of thousands of points.
 */
function resampledMedian(sorted: ArrayLike<number>, next: () => number): number {
  const n = sorted.length, h = (n - 1) / 2, lo = Math.floor(h), frac = h - lo;
  const a = gamma(lo + 1, next);
  const uLo = a / (a + gamma(n - lo, next));
  const at = (u: number) => sorted[Math.min(n - 1, Math.floor(n * u))];
  if (frac === 0) return at(uLo);
  const uHi = uLo + (1 - uLo) * (1 - next() ** (1 / (n - lo - 1)));
  return at(uLo) + frac * (at(uHi) - at(uLo));
}

const memo = new WeakMap<readonly number[], Map<string, Float64Array>>();

/**
 * The medians of `resamples` bootstrap resamples of xs, kept with xs: a gate study compares each run, and
 * each pool of baseline runs, with many others, and draws their resamples once.
 */
export function bootstrapMedians(xs: readonly number[], resamples: number, seed: number): Float64Array {
  const key = `${resamples}/${seed}`;
  const have = memo.get(xs)?.get(key);
  if (have) return have;
  const next = rng(seed), sorted = Float64Array.from(xs).sort();
  const out = Float64Array.from({ length: resamples }, () => resampledMedian(sorted, next));
  if (!memo.has(xs)) memo.set(xs, new Map());
  memo.get(xs)!.set(key, out);
  return out;
}

/** Percentile bootstrap CI of median(candidate) / median(baseline); the two sides draw from their own streams. */
export function bootstrapRatioCi(base: readonly number[], cand: readonly number[], o: { resamples?: number; level?: number; seed?: number } = {}): [number, number] {
  const resamples = o.resamples ?? 2000, level = o.level ?? 0.95, seed = o.seed ?? 1;
  const mc = bootstrapMedians(cand, resamples, seed), mb = bootstrapMedians(base, resamples, (seed ^ 0x5bd1e995) >>> 0);
  const ratios = Float64Array.from(mc, (m, r) => m / mb[r]).sort();
  return [quantileSorted(ratios, (1 - level) / 2), quantileSorted(ratios, 1 - (1 - level) / 2)];
}
