/** How numbers read in findings: two decimals, and spans that say one figure when there is one. */

export const f2 = (x: number): string => x.toFixed(2);

/** Small quantities with their leading digits kept: 0.353, 0.0004 (never "0.000" for a measured non-zero). */
export const sig = (x: number, digits = 2): string => (x === 0 ? '0' : Math.abs(x) >= 1 ? x.toFixed(2) : String(+x.toPrecision(digits)));

/** "0.98-1.06x", or one figure where the span is a single value ("1.07x", never "1.07-1.07x"). */
export function spanOf(xs: number[], unit = '', fmt = f2): string {
  const lo = fmt(Math.min(...xs)), hi = fmt(Math.max(...xs));
  return lo === hi ? `${lo}${unit}` : `${lo}-${hi}${unit}`;
}
