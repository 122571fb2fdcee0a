/**
 * Student's t distribution, from jstat (its quantile agrees with @stdlib's to 1e-12): the gates need
 * quantiles at levels that depend on how many points and looks share the night's false rate, which no
 * fixed table covers.
 */
import jstat from 'jstat';

const { jStat } = jstat;

/** The p-quantile of t with `dof` degrees of freedom (Infinity where dof < 1: no spread is known). */
export function tQuantile(p: number, dof: number): number {
  if (!(dof >= 1)) return Infinity;
  return jStat.studentt.inv(p, dof);
}

/** P(T <= x) for t with `dof` degrees of freedom. */
export function tCdf(x: number, dof: number): number {
  return jStat.studentt.cdf(x, dof);
}
