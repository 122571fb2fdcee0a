/**
 * How a run's GPU samples were taken: cold (caches and translation flushed before each, the default since
 * sampling.flush) or warm (flush off, or a run from before it existed). Warm and cold medians differ by up to
 * a third at the translation cliff, so a gate must not read the difference as a change in the code.
 */
import type { RunResults } from '../results/model.js';

export type SampleState = 'cold' | 'warm' | 'host-only';

export function sampleState(run: RunResults): SampleState {
  if (run.hostOnly) return 'host-only';
  return run.scenario.sampling.flush === true ? 'cold' : 'warm';
}

/** A run whose GPU samples were taken otherwise than the candidate's (host-only runs have none to differ), or undefined. */
export function otherSampleState<R extends { run: RunResults }>(runs: R[], candidate: RunResults): R | undefined {
  const c = sampleState(candidate);
  return c === 'host-only' ? undefined : runs.find((r) => sampleState(r.run) !== c && sampleState(r.run) !== 'host-only');
}

/** Why warm and cold samples are not compared. */
export const WARM_COLD_WHY = 'medians at the translation cliff differ by up to a third between the two';
