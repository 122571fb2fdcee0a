/**
 * A point measured in draws (the CPU path: harness/runner/draws.ts): its figure is the geometric mean of the
 * draws' medians, and its interval Student's t over them, so the interval covers what moves between draws
 * (the host's state from second to second, where the pool's threads land), not only the samples' spread.
 */
import { tQuantile } from './student-t.js';
import { summarize, type Summary } from './summary.js';

export function drawnSummary(drawMedians: readonly number[], samples: readonly number[]): Summary {
  const base = summarize(samples);
  const n = drawMedians.length;
  const mean = drawMedians.reduce((a, m) => a + Math.log(m), 0) / n;
  const sd = drawSpread(drawMedians);
  const half = n > 1 ? (tQuantile(0.975, n - 1) * sd) / Math.sqrt(n) : NaN;
  const median = Math.exp(mean);
  const ciLow = median * Math.exp(-half), ciHigh = median * Math.exp(half);
  return { ...base, median, ciLow, ciHigh, relCi: Number.isFinite(half) ? (ciHigh - ciLow) / 2 / median : null };
}

/** The draws' spread: SD of ln(draw median). */
export function drawSpread(drawMedians: readonly number[]): number {
  const logs = drawMedians.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  return logs.length > 1 ? Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / (logs.length - 1)) : NaN;
}
