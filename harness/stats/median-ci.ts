/**
 * Distribution-free confidence interval of the median: the order statistics
 * x(l) and x(u) with P(l <= rank of the median < u) >= level under Binomial(n,
 * 1/2). Timing samples are skewed (a slow tail), so a normal-theory interval
 * of the mean would be the wrong tool.
 */
import { quantileSorted } from './quantile.js';

/** 1-based ranks [l, u] of the interval; exact binomial up to n = 1000. */
export function medianCiRanks(n: number, level = 0.95): [number, number] {
  if (n < 1) return [1, 1];
  const alpha = (1 - level) / 2;
  let l: number;
  if (n <= 1000) {
    // Largest l with P(X <= l - 1) <= alpha, X ~ Bin(n, 1/2); pmf in logs.
    let logPmf = -n * Math.LN2; // P(X = 0)
    let cdf = 0;
    l = 1;
    for (let k = 0; k < n; k++) {
      cdf += Math.exp(logPmf);
      if (cdf > alpha) break;
      l = k + 1;
      logPmf += Math.log((n - k) / (k + 1));
    }
  } else {
    l = Math.floor(n / 2 - 1.959964 * Math.sqrt(n) / 2);
  }
  l = Math.max(1, Math.min(l, n));
  return [l, n + 1 - l];
}

export interface MedianCi {
  median: number;
  low: number;
  high: number;
  /** half-width of the interval relative to the median */
  relHalfWidth: number;
}

export function medianCi(sorted: ArrayLike<number>, level = 0.95): MedianCi {
  const n = sorted.length;
  const median = quantileSorted(sorted, 0.5);
  if (n < 2) return { median, low: median, high: median, relHalfWidth: Infinity };
  const [l, u] = medianCiRanks(n, level);
  const low = sorted[l - 1];
  const high = sorted[u - 1];
  // Too few samples for any interval at this level: the ranks span everything.
  const covers = l === 1 && u === n && (0.5 ** (n - 1)) > 1 - level;
  return { median, low, high, relHalfWidth: covers ? Infinity : (high - low) / 2 / median };
}
