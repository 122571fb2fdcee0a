/** A scenario cut to verification (selftest --scenario): its points as they are, sampled only to check them. */
import type { Scenario } from './schema.js';

/** The fewest timed samples a point takes (the sampling schema's floor). */
export const VERIFY_SAMPLES = 3;

/** A scenario's sampling and telemetry cut to verification: no warm-up, the fewest samples, no windows. */
export function verifyOnly(s: Scenario): Scenario {
  return {
    ...s,
    sampling: { ...s.sampling, warmup: 0, minSamples: VERIFY_SAMPLES, maxSamples: VERIFY_SAMPLES, budget: 0, minTime: 0, draws: 1 },
    telemetry: { ...s.telemetry, window: 0, idle: 0, energy: false },
  };
}

