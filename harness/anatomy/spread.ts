/** How far apart draws of the CPU path lie: the statistics the anatomy sets side by side. */
import { median } from '../stats/quantile.js';

export interface Spread {
  draws: number;
  /** median over draws of each draw's median, seconds */
  medianS: number;
  /** max/min - 1 of the draws' medians */
  range: number;
  /** SD of ln(draw median): the draws' spread, free of scale */
  sdLn: number;
  /** median over draws of the SD of ln(sample) inside a draw: the noise a single run sees */
  withinSdLn: number;
}

const sd = (x: number[]) => {
  if (x.length < 2) return 0;
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
};

export function spreadOf(draws: number[][]): Spread {
  const medians = draws.map((d) => median(d));
  return {
    draws: draws.length,
    medianS: median(medians),
    range: Math.max(...medians) / Math.min(...medians) - 1,
    sdLn: sd(medians.map(Math.log)),
    withinSdLn: median(draws.map((d) => sd(d.map(Math.log)))),
  };
}
