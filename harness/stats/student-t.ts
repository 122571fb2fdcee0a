/**
 * Student's t distribution, from jstat (its quantile agrees with @stdlib's to 1e-12): the gates need
 * quantiles at levels that depend on how many points and looks share the night's false rate, which no
 * fixed table covers.
 */
import jstat from 'jstat';

const { jStat } = jstat;

const quantiles = new Map<string, number>();

/**
 * The p-quantile of t with `dof` degrees of freedom (Infinity where dof < 1: no spread is known). Kept once
 * computed: a gate study asks the same few levels and degrees of freedom for every point of thousands of nights,
 * and jstat inverts the incomplete beta function each time.
 */
export function tQuantile(p: number, dof: number): number {
  if (!(dof >= 1)) return Infinity;
  const key = `${p}|${dof}`;
  let q = quantiles.get(key);
  if (q === undefined) quantiles.set(key, (q = jStat.studentt.inv(p, dof)));
  return q;
}

/** P(T <= x) for t with `dof` degrees of freedom. */
export function tCdf(x: number, dof: number): number {
  return jStat.studentt.cdf(x, dof);
}
