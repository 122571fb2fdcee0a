/** The gate measured on made-up runs: the arithmetic of false failures and detection, with no GPU. */
import { describe, expect, it } from 'vitest';
import { combinationsOf, plantSlowdown, studyGate } from '../harness/compare/study.js';
import { DEFAULT_COMPARE } from '../harness/compare/verdict.js';
import { fakeRun, point, samples, savedRun } from './fixtures.js';
import { gateStudyCommand } from '../harness/cli/gate-study.js';

const combinations = (n: number, k: number) => [...combinationsOf(n, k)];

/** n runs of three points; point "wild" moves `wild` between runs (alternating), the others 0.5%. */
function nights(n: number, wild: number) {
  return Array.from({ length: n }, (_, r) =>
    fakeRun(
      [
        point('zerocopy-aligned a', samples(40, 1e-3 * (1 + 0.005 * ((r % 3) - 1)), 0.01, 10 * r + 1), { method: 'zerocopy-aligned' }),
        point('zerocopy-aligned b', samples(40, 2e-3 * (1 + 0.004 * ((r % 2) - 0.5)), 0.01, 10 * r + 2), { method: 'zerocopy-aligned' }),
        point('cpu-gather-memcpy wild', samples(40, 1e-3 * (1 + wild * (r % 2 ? 1 : -1)), 0.01, 10 * r + 3), { method: 'cpu-gather-memcpy' }),
      ],
      { gpu: 'H100' },
    ),
  );
}
const o = { ...DEFAULT_COMPARE };

describe('gate study', () => {
  it('counts every choice of baselines and candidate as a night', () => {
    expect(combinations(5, 3)).toHaveLength(10);
    expect(combinations(4, 1)).toEqual([[0], [1], [2], [3]]);
    const s = studyGate(nights(5, 0.005), { ...o, baselines: 3 });
    expect(s.nights).toBe(10 * 2);
    expect(s.points.every((p) => p.nights === 20)).toBe(true);
  });

  it('samples the baseline choices past --nights, the same sample every time', () => {
    expect(combinations(6, 3)).toHaveLength(20);
    expect(new Set(combinations(6, 3).map((c) => c.join())).size).toBe(20);
    expect(combinations(6, 3).every((c) => c[0] < c[1] && c[1] < c[2] && c[2] < 6)).toBe(true);
    const runs = nights(9, 0.005);
    const all = studyGate(runs, { ...o, baselines: 3 });
    expect(all.nights).toBe(all.possibleNights);
    expect(all.possibleNights).toBe(84 * 6);
    const some = studyGate(runs, { ...o, baselines: 3, maxNights: 120 });
    expect(some.possibleNights).toBe(504);
    expect(some.nights % 6).toBe(0); // whole baseline choices, each with every candidate
    expect(some.nights).toBeGreaterThan(60);
    expect(some.nights).toBeLessThan(200);
    expect(studyGate(runs, { ...o, baselines: 3, maxNights: 120 }).nights).toBe(some.nights);
  });

  it('unchanged code with quiet points never fails a night', () => {
    const s = studyGate(nights(6, 0.005), { ...o, baselines: 3 });
    expect(s.falseFailures).toBe(0);
    expect(s.falseFailureRate).toBe(0);
  });

  it('finds the point that flips between two states from run to run, and a history of runs silences it', () => {
    // Baselines that all happen to come from one state see no spread: the other state looks like a change.
    const bare = studyGate(nights(6, 0.1), { ...o, baselines: 3 });
    expect(bare.falseFailures).toBeGreaterThan(0);
    expect(bare.points[0].id).toBe('cpu-gather-memcpy wild');
    expect(bare.points.filter((p) => p.id !== 'cpu-gather-memcpy wild').every((p) => p.falseSlower === 0)).toBe(true);
    // With the other nights' medians as history, its spread is known: uncertain, never a failure.
    const kept = studyGate(nights(6, 0.1), { ...o, baselines: 3, history: true });
    expect(kept.falseFailures).toBe(0);
    expect(kept.points.find((p) => p.id === 'cpu-gather-memcpy wild')!.uncertain).toBeGreaterThan(0);
  });

  it('detects a planted slowdown in every point, one method and one point, counting uncertain points as missed', () => {
    const s = studyGate(nights(6, 0.005), { ...o, baselines: 3, plantPct: 10, history: true });
    const shape = (x: string) => s.detection.find((d) => d.shape === x)!;
    expect(s.detection.map((d) => d.shape)).toEqual(['every point', 'one method', 'one point']);
    expect(shape('every point').rate).toBeGreaterThanOrEqual(0.9);
    // every gated planted point is in the denominator: 3 points x 60 nights
    expect(shape('every point').planted).toBe(180);
    expect(shape('every point').detected + shape('every point').uncertain).toBeLessThanOrEqual(180);
    expect(shape('one point').planted).toBe(180);
    expect(shape('every point').byMethod['zerocopy-aligned'].planted).toBe(120);
    // a point that flips 10% between runs cannot show a planted 10%: uncertain there is a miss, not a pass
    const loud = studyGate(nights(6, 0.1), { ...o, baselines: 3, plantPct: 10, history: true });
    const m = loud.detection.find((d) => d.shape === 'every point')!.byMethod['cpu-gather-memcpy'];
    expect(m.detected).toBeLessThan(m.planted);
  });

  it('counts candidates, not nights, as the independent trials, and bounds the false-night rate by them', () => {
    const s = studyGate(nights(6, 0.005), { ...o, baselines: 3 });
    expect(s.nights).toBe(60);
    expect(s.candidates).toBe(6);
    expect(s.failingCandidates).toBe(0);
    // 0 of 6 independent candidates supports at most 39% false nights (95%), not "1 in more than 60"
    expect(s.falseRateUpper95).toBeCloseTo(1 - 0.05 ** (1 / 6), 9);
  });

  it('plants a slowdown relative to each sample', () => {
    const r = nights(1, 0)[0];
    const slow = plantSlowdown(r, 0.1);
    expect(slow.points[0].samples.total[5]).toBeCloseTo(r.points[0].samples.total[5] * 1.1, 15);
    expect(slow.points[0].bandwidth!.median).toBeCloseTo(r.points[0].bandwidth!.median / 1.1, 12);
  });

  /** n runs a minute apart of two quiet points and a CPU point that `slow` runs made `factor` slower (a busy host). */
  function hostGlitch(n: number, slow: number[], factor: number, steal?: number) {
    return Array.from({ length: n }, (_, r) => {
      const hit = slow.includes(r);
      return fakeRun(
        [
          point('zerocopy-aligned a', samples(40, 1e-3 * (1 + 0.004 * ((r % 3) - 1)), 0.01, 10 * r + 1), { method: 'zerocopy-aligned' }),
          point('host-gather-copy c', samples(40, 1e-3 * (1 + 0.01 * ((r % 3) - 1)) * (hit ? factor : 1), 0.02, 10 * r + 3), { method: 'host-gather-copy', ...(hit && steal ? { host: { stealPct: steal } } : {}) }),
        ],
        { gpu: 'H100', startedAt: `2026-01-01T00:${String(10 + r).padStart(2, '0')}:00Z` },
      );
    }).reverse(); // given out of order: the study orders runs by time
  }

  it('confirms a slower point on the run made next: a one-run glitch fails no night', () => {
    const glitch = hostGlitch(8, [4], 2.5);
    expect(studyGate(glitch, { ...o, baselines: 3, history: true, confirm: false }).falseFailures).toBeGreaterThan(0);
    const confirmed = studyGate(glitch, { ...o, baselines: 3, history: true, confirm: true });
    expect(confirmed.falseFailures).toBe(0);
    expect(confirmed.points.find((p) => p.id === 'host-gather-copy c')!.uncertain).toBeGreaterThan(0);
  });

  it('a glitch over two runs in a row outlasts confirmation; the steal recorded with it makes it uncertain', () => {
    expect(studyGate(hostGlitch(8, [4, 5], 2.5), { ...o, baselines: 3, history: true, confirm: true }).falseFailures).toBeGreaterThan(0);
    const told = studyGate(hostGlitch(8, [4, 5], 2.5, 30), { ...o, baselines: 3, history: true, confirm: true, plantPct: 10 });
    expect(told.falseFailures).toBe(0);
    // the planted slowdown is still caught where the host left the point alone; the nights it sampled under steal are missed
    const every = told.detection.find((d) => d.shape === 'every point')!;
    expect(every.byMethod['zerocopy-aligned'].detected).toBe(every.byMethod['zerocopy-aligned'].planted);
    expect(every.byMethod['host-gather-copy'].detected).toBeLessThan(every.byMethod['host-gather-copy'].planted);
  });

  it('says when the runs come from several GPUs of the model', () => {
    const gpu = 'NVIDIA H100 80GB HBM3';
    const on = (uuid: string, seed: number) => {
      const r = fakeRun([point('a x', samples(20, 1e-3, 0.01, seed))], { gpu });
      r.environment.cuda!.devices[0].uuid = uuid;
      return savedRun(r);
    };
    const lines: string[] = [];
    gateStudyCommand([on('GPU-a', 1), on('GPU-a', 2), on('GPU-b', 3), on('GPU-b', 4)], {}, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/note: the runs come from 2 GPUs of the model/);
    const one: string[] = [];
    gateStudyCommand([on('GPU-a', 1), on('GPU-a', 2), on('GPU-a', 3), on('GPU-a', 4)], {}, (l) => one.push(l));
    expect(one.join('\n')).not.toMatch(/GPUs of the model/);
  });

  it('refuses too few runs for the baselines asked', () => {
    expect(() => studyGate(nights(3, 0), { ...o, baselines: 3 })).toThrow(/needs at least 4 runs/);
  });

  it('refuses to study warm runs beside cold ones (the command, as compare refuses such a baseline)', () => {
    const gpu = 'NVIDIA H100 80GB HBM3';
    const cold = [1, 2, 3, 4].map((i) => savedRun(fakeRun([point('a x', samples(20, 1e-3, 0.01, i))], { gpu })));
    const warmRun = fakeRun([point('a x', samples(20, 1e-3, 0.01, 9))], { gpu });
    warmRun.scenario.sampling = { ...warmRun.scenario.sampling, flush: false };
    const warm = savedRun(warmRun);
    expect(() => gateStudyCommand([...cold, warm], {}, () => undefined)).toThrow(/gate-study needs runs sampled alike: .* has warm samples/);
    expect(gateStudyCommand(cold, {}, () => undefined)).toBe(0);
  });
});
