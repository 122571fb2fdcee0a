/**
 * The exact (Clopper-Pearson) one-sided upper confidence bound of a rate from x events in n independent
 * trials: what "0 false nights" can honestly claim. 0 of 10 supports at most 26% at 95% (3/n for large n).
 */
import jstat from 'jstat';

export function rateUpperBound(x: number, n: number, confidence = 0.95): number {
  if (n <= 0) return 1;
  if (x >= n) return 1;
  return jstat.jStat.beta.inv(confidence, x + 1, n - x);
}
