/** Summary statistics of one series of timing samples (seconds). */
import { quantileSorted } from './quantile.js';
import { medianCi } from './median-ci.js';

export interface Summary {
  n: number;
  median: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p5: number;
  p95: number;
  /** 95% confidence interval of the median */
  ciLow: number;
  ciHigh: number;
  /** its half-width relative to the median; null when too few samples give no interval */
  relCi: number | null;
}

export function summarize(samples: ArrayLike<number>): Summary {
  const xs = Array.from(samples).filter((x) => Number.isFinite(x));
  const sorted = xs.sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { n, median: NaN, mean: NaN, stddev: NaN, min: NaN, max: NaN, p5: NaN, p95: NaN, ciLow: NaN, ciHigh: NaN, relCi: NaN };
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? sorted.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  const ci = medianCi(sorted);
  return {
    n,
    median: ci.median,
    mean,
    stddev: Math.sqrt(variance),
    min: sorted[0],
    max: sorted[n - 1],
    p5: quantileSorted(sorted, 0.05),
    p95: quantileSorted(sorted, 0.95),
    ciLow: ci.low,
    ciHigh: ci.high,
    // JSON cannot hold Infinity: null says "no interval" explicitly.
    relCi: Number.isFinite(ci.relHalfWidth) ? ci.relHalfWidth : null,
  };
}
