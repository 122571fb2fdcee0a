/**
 * How far a new run's median must lie from n earlier runs' to be beyond their
 * noise, in units of the runs' standard deviation: the one-sided prediction
 * bound at the level of three sigmas of a normal distribution (Phi(3) =
 * 0.99865), t(0.99865; n - 1) x sqrt(1 + 1/n). A spread measured on few runs
 * is itself uncertain: with 3 runs the bound is 22 sigmas, with 8 it is 4.8,
 * and it tends to 3 as runs accumulate (a kept history). A gate that used 3
 * sigmas with 3 baselines would cry wolf whenever the three happened to agree.
 */

/** Student's t quantile at Phi(3) for 1..30 degrees of freedom (jStat 1.9.6 and @stdlib's t quantile agree to 1e-6). */
const T_3SIGMA = [
  235.8015, 19.2067, 9.2189, 6.6202, 5.5071, 4.9041, 4.53, 4.2766, 4.0943, 3.9569, 3.8499, 3.7643, 3.6942, 3.6358, 3.5864,
  3.5441, 3.5075, 3.4755, 3.4472, 3.4222, 3.3997, 3.3796, 3.3613, 3.3448, 3.3296, 3.3158, 3.303, 3.2913, 3.2804, 3.2703,
];

/** t(Phi(3); dof): the table, then Fisher's expansion around z = 3 (within 1e-4 of the exact value past 30). */
export function tAtThreeSigma(dof: number): number {
  if (!(dof >= 1)) return Infinity;
  if (dof <= T_3SIGMA.length) return T_3SIGMA[Math.floor(dof) - 1];
  const z = 3, v = dof;
  return z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v * v) + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3);
}

/** The bar in sigmas for a new run against n earlier runs (Infinity for fewer than two: one run has no spread). */
export function predictionSigmas(n: number): number {
  return n < 2 ? Infinity : tAtThreeSigma(n - 1) * Math.sqrt(1 + 1 / n);
}
