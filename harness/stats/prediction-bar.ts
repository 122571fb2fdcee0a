/**
 * How far a new run's median must lie from n earlier runs' to be beyond their
 * noise, in units of the runs' standard deviation: the one-sided prediction
 * bound at the level of three sigmas of a normal distribution (Phi(3) =
 * 0.99865), t(0.99865; dof) x sqrt(1 + 1/n). A spread measured on few runs
 * is itself uncertain: with 3 runs the bound is 22 sigmas, with 8 it is 4.8,
 * and it tends to 3 as runs accumulate (a kept history). A gate that used 3
 * sigmas with 3 baselines would cry wolf whenever the three happened to agree.
 */
import { tQuantile } from './student-t.js';

/** Phi(3): the one-sided level of three normal sigmas. */
export const THREE_SIGMA_LEVEL = 0.9986501019683699;

/** t(Phi(3); dof). */
export function tAtThreeSigma(dof: number): number {
  return tQuantile(THREE_SIGMA_LEVEL, dof);
}

/** The bar in sigmas for a new run against n earlier runs (Infinity for fewer than two: one run has no spread). */
export function predictionSigmas(n: number): number {
  return n < 2 ? Infinity : tAtThreeSigma(n - 1) * Math.sqrt(1 + 1 / n);
}
