import { predictionSigmas, tAtThreeSigma } from '../harness/stats/prediction-bar.js';
import { describePoint } from '../harness/runner/progress.js';
import { point } from './fixtures.js';
import { describe, expect, it } from 'vitest';
import { summarize } from '../harness/stats/summary.js';
import { medianCi, medianCiRanks } from '../harness/stats/median-ci.js';
import { quantileSorted } from '../harness/stats/quantile.js';
import { nextChunk, stopReason } from '../harness/runner/stopping.js';
import type { Sampling } from '../harness/scenario/schema.js';

describe('summary statistics', () => {
  it('matches hand-computed values', () => {
    const s = summarize([4, 1, 3, 2, 5]);
    expect(s).toMatchObject({ n: 5, median: 3, mean: 3, min: 1, max: 5 });
    expect(s.stddev).toBeCloseTo(Math.sqrt(2.5), 12); // sample stddev
    expect(s.p5).toBeCloseTo(1.2, 12); // numpy.percentile([1..5], 5)
    expect(s.p95).toBeCloseTo(4.8, 12);
  });

  it('interpolates quantiles like numpy (type 7)', () => {
    expect(quantileSorted([10, 20, 30, 40], 0.5)).toBe(25);
    expect(quantileSorted([10, 20, 30, 40], 0.25)).toBe(17.5);
    expect(quantileSorted([7], 0.9)).toBe(7);
  });

  it('ignores NaN phases and handles empty input', () => {
    expect(summarize([1, NaN, 3]).n).toBe(2);
    expect(summarize([]).median).toBeNaN();
  });
});

describe('confidence interval of the median', () => {
  it('uses the binomial order statistics of published tables', () => {
    expect(medianCiRanks(10)).toEqual([2, 9]);
    expect(medianCiRanks(20)).toEqual([6, 15]);
    expect(medianCiRanks(100)).toEqual([40, 61]);
    // large n: normal approximation, close to the exact ranks
    const [l, u] = medianCiRanks(10000);
    expect(l).toBeGreaterThanOrEqual(4900);
    expect(l).toBeLessThanOrEqual(4902);
    expect(u).toBe(10001 - l);
  });

  it('is infinitely wide with too few samples', () => {
    expect(medianCi([1, 2, 3, 4, 5]).relHalfWidth).toBe(Infinity);
    expect(Number.isFinite(medianCi([1, 2, 3, 4, 5, 6]).relHalfWidth)).toBe(true);
  });

  it('reports the half-width relative to the median', () => {
    const xs = Array.from({ length: 10 }, (_, i) => 100 + i); // 100..109
    const ci = medianCi(xs);
    expect([ci.low, ci.high]).toEqual([101, 108]);
    expect(ci.relHalfWidth).toBeCloseTo(3.5 / 104.5, 12);
  });
});

describe('stopping rule', () => {
  const s: Sampling = { warmup: 1, minSamples: 10, maxSamples: 50, budget: 2, precision: 0.02, minTime: 0, flush: true };
  const tight = Array.from({ length: 10 }, (_, i) => 1 + i * 1e-4);
  const noisy = Array.from({ length: 10 }, (_, i) => 1 + (i % 2) * 0.5);

  it('stops on precision only after minSamples', () => {
    expect(stopReason(tight.slice(0, 9), 0.1, s)).toBeUndefined();
    expect(stopReason(tight, 0.1, s)).toBe('precision');
    expect(stopReason(noisy, 0.1, s)).toBeUndefined();
  });

  it('stops at maxSamples and at the budget', () => {
    expect(stopReason(Array.from({ length: 50 }, (_, i) => 1 + (i % 2)), 0.1, s)).toBe('max-samples');
    expect(stopReason(noisy, 2.5, s)).toBe('budget');
  });

  it('never lets the budget cut a point below minSamples, unless it overran ten budgets', () => {
    expect(stopReason(noisy.slice(0, 4), 2.5, s)).toBeUndefined();
    expect(stopReason(noisy.slice(0, 4), 19.9, s)).toBeUndefined();
    expect(stopReason(noisy.slice(0, 4), 20, s)).toBe('budget');
    expect(nextChunk(4, 2.5, s)).toBe(6); // still asks for the rest of minSamples past the budget
  });

  it('with minTime, precision waits for that much timed work and chunks aim at it', () => {
    const m = { ...s, minTime: 0.5 };
    const fast = Array.from({ length: 10 }, (_, i) => 0.01 + i * 1e-6); // 0.1 s of timed work
    expect(stopReason(fast, 0.2, m)).toBeUndefined();
    expect(stopReason([...fast, ...fast, ...fast, ...fast, ...fast], 0.8, m)).toBe('precision');
    expect(nextChunk(10, 0.2, m, 0.1)).toBe(40);
    expect(stopReason(Array.from({ length: 50 }, () => 0.001), 0.1, m)).toBe('max-samples'); // maxSamples still caps it
  });

  it('sizes chunks: a probe, then up to minSamples, then a quarter more, within budget', () => {
    expect(nextChunk(0, 0, s)).toBe(3);
    expect(nextChunk(3, 0.003, s)).toBe(7);
    expect(nextChunk(20, 0.02, s)).toBe(5);
    expect(nextChunk(48, 0.048, s)).toBe(2);
    expect(nextChunk(10, 1.8, s)).toBe(1); // 0.18 s a sample, 0.2 s of budget left
  });
});

describe('the run-to-run prediction bar', () => {
  it("is Student's t at three normal sigmas, times the new run's own share: wide for few runs, 3 sigmas in the limit", () => {
    expect(tAtThreeSigma(1)).toBeCloseTo(235.80, 2);
    expect(tAtThreeSigma(7)).toBeCloseTo(4.53, 2);
    expect(tAtThreeSigma(30)).toBeCloseTo(3.2703, 4);
    expect(tAtThreeSigma(31)).toBeLessThan(tAtThreeSigma(30)); // the expansion takes over where the table ends, still falling
    expect(tAtThreeSigma(31)).toBeGreaterThan(3.25);
    expect(tAtThreeSigma(1e6)).toBeCloseTo(3, 4);
    expect(predictionSigmas(1)).toBe(Infinity);
    expect(predictionSigmas(3)).toBeCloseTo(19.2067 * Math.sqrt(4 / 3), 3);
    expect(predictionSigmas(8)).toBeCloseTo(4.8, 1);
    for (let n = 2; n < 200; n++) expect(predictionSigmas(n + 1)).toBeLessThan(predictionSigmas(n));
  });
});

describe('a point as the progress line says it', () => {
  it('names the sample count once, whether the CI is known or not', () => {
    const few = point('a x', [1e-3, 1.1e-3, 0.9e-3], { stop: { reason: 'budget', samples: 3, seconds: 1 } });
    expect(describePoint(few)).toMatch(/GB\/s CI n\/a \(3 samples\) \(stopped on budget\)$/);
    const many = point('a x', Array.from({ length: 40 }, (_, i) => 1e-3 * (1 + (i % 5) / 1000)), { stop: { reason: 'precision', samples: 40, seconds: 1 } });
    expect(describePoint(many)).toMatch(/GB\/s ±[\d.]+% \(40 samples, stopped on precision\)$/);
  });
});
