/** How far apart draws of the CPU path lie: the statistics the anatomy sets side by side. */
import { median } from '../stats/quantile.js';
import { drawSpread } from '../stats/draws.js';

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

/** SD of ln(x), 0 for a single value (one draw spreads nothing). */
const sdLn = (x: number[]) => (x.length < 2 ? 0 : drawSpread(x));

export function spreadOf(draws: number[][]): Spread {
  const medians = draws.map((d) => median(d));
  return {
    draws: draws.length,
    medianS: median(medians),
    range: Math.max(...medians) / Math.min(...medians) - 1,
    sdLn: sdLn(medians),
    withinSdLn: median(draws.map(sdLn)),
  };
}
