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
