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

function median(xs: Float64Array): number {
  xs.sort();
  return quantileSorted(xs, 0.5);
}

/** Percentile bootstrap CI of median(candidate) / median(baseline). */
export function bootstrapRatioCi(base: readonly number[], cand: readonly number[], o: { resamples?: number; level?: number; seed?: number } = {}): [number, number] {
  const resamples = o.resamples ?? 2000, level = o.level ?? 0.95;
  const next = rng(o.seed ?? 1);
  const rb = new Float64Array(base.length), rc = new Float64Array(cand.length);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < rb.length; i++) rb[i] = base[Math.floor(next() * base.length)];
    for (let i = 0; i < rc.length; i++) rc[i] = cand[Math.floor(next() * cand.length)];
    ratios[r] = median(rc) / median(rb);
  }
  ratios.sort();
  return [quantileSorted(ratios, (1 - level) / 2), quantileSorted(ratios, 1 - (1 - level) / 2)];
}
