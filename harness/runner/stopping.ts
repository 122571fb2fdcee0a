/**
 * When to stop sampling a point: once the 95% CI of the median is within the
 * target precision (after minSamples and, like nvbench's --min-time, after
 * minTime seconds of timed work), or at maxSamples, or when the point's time
 * budget is spent. The budget never cuts a point below minSamples: a
 * point whose samples are so slow that minSamples would take more than ten
 * budgets stops there instead, and says so with "CI n/a" where it has too few
 * samples for an interval. Kept apart from the runner so each rule is testable.
 */
import { medianCi } from '../stats/median-ci.js';
import type { Sampling } from '../scenario/schema.js';

/** draws: the point was sampled in visits, each a draw of the CPU path's luck (harness/runner/draws.ts) */
export type StopReason = 'precision' | 'max-samples' | 'budget' | 'draws';

/** How far past its budget a point may run to reach minSamples. */
export const BUDGET_OVERRUN = 10;

export function stopReason(samples: readonly number[], elapsedSeconds: number, s: Sampling): StopReason | undefined {
  const n = samples.length;
  const timed = samples.reduce((a, b) => a + b, 0);
  if (n >= s.minSamples && timed >= s.minTime) {
    const sorted = [...samples].sort((a, b) => a - b);
    if (medianCi(sorted).relHalfWidth <= s.precision) return 'precision';
  }
  if (n >= s.maxSamples) return 'max-samples';
  if (elapsedSeconds >= s.budget && n >= s.minSamples) return 'budget';
  if (elapsedSeconds >= BUDGET_OVERRUN * s.budget && n >= 1) return 'budget';
  return undefined;
}

/**
 * How many samples to ask for next: a few, then enough to reach minSamples, then
 * about a quarter more each time, never past maxSamples nor (by the measured
 * wall time per sample) far past the budget.
 */
export function nextChunk(have: number, elapsedSeconds: number, s: Sampling, timedSeconds = 0): number {
  // A first small chunk tells how long a sample takes.
  if (have === 0) return Math.min(3, s.minSamples);
  const perSample = elapsedSeconds / have;
  const limit = have < s.minSamples ? BUDGET_OVERRUN * s.budget : s.budget;
  const byBudget = perSample > 0 ? Math.floor((limit - elapsedSeconds) / perSample) : Infinity;
  // Short of minTime: enough samples to reach it, at the timed seconds per sample seen so far.
  const toMinTime = timedSeconds < s.minTime && timedSeconds > 0 ? Math.ceil(((s.minTime - timedSeconds) * have) / timedSeconds) : 0;
  const want = have < s.minSamples ? s.minSamples - have : Math.max(1, Math.ceil(have / 4), toMinTime);
  return Math.max(1, Math.min(want, s.maxSamples - have, Math.max(1, byBudget)));
}
