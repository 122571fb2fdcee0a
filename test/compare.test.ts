import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mannWhitney, bootstrapRatioCi, normalCdf, rng } from '../harness/compare/stats.js';
import { quantileSorted } from '../harness/stats/quantile.js';
import { DEFAULT_COMPARE, SEEN_WINDOW, comparePoint, compareRunPoints, failsJob, runToRunSigma } from '../harness/compare/verdict.js';
import { predictionSigmas } from '../harness/stats/prediction-bar.js';
import { compareCommand, parseThreshold } from '../harness/cli/compare.js';
import { listBaselines, resolveBaseline, saveBaseline } from '../harness/compare/baselines.js';
import { appendHistory, findSteps, readHistory } from '../harness/compare/history.js';
import { renderHistory } from '../reports/history.js';
import { UserError } from '../harness/errors.js';
import { packageRoot } from '../harness/paths.js';
import { fakeRun, point, samples, savedRun } from './fixtures.js';
import { scenarioFile, tmpDir } from './helpers.js';


const bin = path.join(packageRoot, 'bin', 'gatherbench.js');

/** `gatherbench run <file>` in a fresh process (CI mode, no report): the run's directory and what it printed. */
function runScenario(file: string, env: Record<string, string> = {}): { dir: string; stdout: string } {
  const out = tmpDir();
  const r = spawnSync(process.execPath, [bin, 'run', file, '-o', out, '--no-report'], { encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
  expect(r.status).toBe(0);
  return { dir: path.join(out, readdirSync(out)[0]), stdout: r.stdout };
}

const quiet = () => undefined;

describe('statistics of the gate', () => {
  it('Mann-Whitney matches hand-computed values', () => {
    // a = [1,2,3], b = [4,5,6]: U = 0, the most extreme arrangement
    const r = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect(r.u).toBe(0);
    expect(r.p).toBeLessThan(0.1);
    expect(mannWhitney([1, 2, 3, 4], [1, 2, 3, 4]).p).toBeCloseTo(1, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
  });

  it('the bootstrap CI of the ratio of medians brackets the true ratio', () => {
    const [lo, hi] = bootstrapRatioCi(samples(50, 1e-3, 0.02, 1), samples(50, 1.2e-3, 0.02, 2), { seed: 3 });
    expect(lo).toBeLessThan(1.2);
    expect(hi).toBeGreaterThan(1.2);
    expect(hi - lo).toBeLessThan(0.05);
  });

  it('draws the same bootstrap distribution as resampling and sorting, odd and even sample counts', () => {
    // the reference: draw n values with replacement, sort, take the median; many resamples on both sides
    const brute = (base: number[], cand: number[], resamples: number): [number, number] => {
      const next = rng(7), med = (xs: number[]) => {
        const r = Float64Array.from({ length: xs.length }, () => xs[Math.floor(next() * xs.length)]).sort();
        return quantileSorted(r, 0.5);
      };
      const ratios = Float64Array.from({ length: resamples }, () => med(cand) / med(base)).sort();
      return [quantileSorted(ratios, 0.025), quantileSorted(ratios, 0.975)];
    };
    // skewed, with ties, as timing samples are
    const skewed = (n: number, scale: number, seed: number) => samples(n, scale, 0.05, seed).map((x, i) => (i % 7 ? x : x * 1.3));
    // two values: a resample's median is 1, 1.5 or 2 with chances 1/4, 1/2, 1/4
    expect(bootstrapRatioCi([1, 1, 1], [1, 2], { resamples: 20_000, level: 0.4 })).toEqual([1.5, 1.5]);
    expect(bootstrapRatioCi([1, 1, 1], [1, 2], { resamples: 20_000, level: 0.6 })).toEqual([1, 2]);
    for (const [nb, nc] of [[21, 9], [40, 30], [3, 4]]) {
      const b = skewed(nb, 1e-3, nb), c = skewed(nc, 1.05e-3, nc + 1);
      const want = brute(b, c, 40_000), got = bootstrapRatioCi(b, c, { resamples: 40_000, seed: 5 });
      for (const i of [0, 1]) expect(Math.abs(got[i] - want[i]) / want[i]).toBeLessThan(0.004);
    }
  });
});

/** n baseline runs of one point whose medians differ by `spread` (relative), each tight. */
const runsOf = (n: number, spread: number, seed = 1) => Array.from({ length: n }, (_, i) => point('m a', samples(40, 1e-3 * (1 + spread * (i % 2 ? 1 : -1) * (i > 0 ? 1 : 0)), 0.01, seed + i)));

describe('verdicts', () => {
  it('calls a planted 10% slowdown slower, given baseline runs that measure the noise', () => {
    const v = comparePoint(runsOf(6, 0.005), point('m a', samples(40, 1.1e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(v.verdict).toBe('slower');
    expect(v.timeRatio).toBeCloseTo(1.1, 1);
    expect(v.ratioCi![0]).toBeGreaterThan(1);
  });

  it('a move unchanged code has made before is uncertain, not slower or faster', () => {
    // five baseline runs, one of them (a busy host) 2x slow: the robust spread ignores it, the gate remembers it
    const bases = [1, 2, 3, 4, 5].map((i) => point('m a', samples(40, 1e-3 * (i === 3 ? 2 : 1 + 0.002 * i), 0.01, i)));
    const v = comparePoint(bases, point('m a', samples(40, 1.8e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(v.verdict).toBe('uncertain');
    expect(v.note).toMatch(/unchanged code has been this slow before \(1 of the 5 most recent earlier runs\)/);
    expect(comparePoint(bases, point('m a', samples(40, 2.4e-3, 0.01, 9)), DEFAULT_COMPARE).verdict).toBe('slower');
    // an episode in the history is remembered for the newest SEEN_WINDOW runs, then no longer excuses a move
    const quiet = [1, 2, 4, 5].map((i) => bases[i - 1]);
    const slowPoint = point('m a', samples(40, 1.8e-3, 0.01, 9));
    const history = (after: number) => [2e-3, ...Array.from({ length: after }, (_, i) => 1e-3 * (1 + 0.002 * (i % 3)))];
    expect(comparePoint(quiet, slowPoint, DEFAULT_COMPARE, history(SEEN_WINDOW - 1)).verdict).toBe('uncertain');
    expect(comparePoint(quiet, slowPoint, DEFAULT_COMPARE, history(SEEN_WINDOW)).verdict).toBe('slower');
  });

  it('a slower point whose machine took its CPU time away (steal, quota) is uncertain, saying so', () => {
    const bases = runsOf(6, 0.005);
    const slow = samples(40, 1.3e-3, 0.01, 9);
    expect(comparePoint(bases, point('m a', slow), DEFAULT_COMPARE).verdict).toBe('slower');
    const stolen = comparePoint(bases, point('m a', slow, { host: { stealPct: 12.5 } }), DEFAULT_COMPARE);
    expect(stolen.verdict).toBe('uncertain');
    expect(stolen.note).toMatch(/gave 12\.5% of this machine's CPU time to other guests \(steal\) while it sampled/);
    expect(comparePoint(bases, point('m a', slow, { host: { throttledMs: 250 } }), DEFAULT_COMPARE).note).toMatch(/CPU quota held it back for 250 ms/);
    // a move beyond what interference has been seen to cause (up to 3x) is judged on its own, saying so
    const sixFold = comparePoint(bases, point('m a', samples(40, 6e-3, 0.01, 9), { host: { stealPct: 12.5 } }), DEFAULT_COMPARE);
    expect(sixFold.verdict).toBe('slower');
    expect(sixFold.note).toMatch(/\(steal\) while it sampled, but a 6\.0x time is more than that explains \(up to 4x\)/);
    // below the bar of doubt, the verdict stands
    expect(comparePoint(bases, point('m a', slow, { host: { stealPct: 0.5, throttledMs: 0 } }), DEFAULT_COMPARE).verdict).toBe('slower');
    // a gather from GPU memory, queued behind the launch gate, is out of the other guests' reach
    const resident = (id: string, total: number[], host?: { stealPct: number }) => ({ ...point(id, total, host ? { host } : {}), method: 'device-resident' });
    const gpuBases = runsOf(6, 0.005).map((p) => ({ ...p, id: 'device-resident a', method: 'device-resident' }));
    expect(comparePoint(gpuBases, resident('device-resident a', slow, { stealPct: 12.5 }), DEFAULT_COMPARE).verdict).toBe('slower');
    const zeroCopyBases = gpuBases.map((p) => ({ ...p, id: 'zerocopy-aligned a', method: 'zerocopy-aligned' }));
    expect(comparePoint(zeroCopyBases, { ...resident('zerocopy-aligned a', slow, { stealPct: 12.5 }), method: 'zerocopy-aligned' }, DEFAULT_COMPARE).verdict).toBe('uncertain');
  });

  it('calls a point the same only where its samples rule out a threshold-sized change', () => {
    const bases = runsOf(6, 0.005);
    // 5 samples spread ±15%: nothing clear, but a 10% slowdown would look the same
    const loose = comparePoint(bases, point('m a', samples(5, 1.0e-3, 0.15, 9)), DEFAULT_COMPARE);
    expect(loose.verdict).toBe('uncertain');
    expect(loose.note).toMatch(/the samples cannot rule out a 5\.0% change: time ratio \d\.\d{3}, 95% CI/);
    const tight = comparePoint(bases, point('m a', samples(40, 1.0e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(tight.verdict).toBe('same');
    expect(tight.ratioCi![1]).toBeLessThan(1.05);
  });

  it('does not flag two sample sets from one distribution in at least 95% of 200 seeds', () => {
    let flagged = 0;
    for (let s = 0; s < 200; s++) {
      const v = comparePoint(point('m a', samples(30, 1e-3, 0.03, 2 * s + 1)), point('m a', samples(30, 1e-3, 0.03, 2 * s + 2)), { ...DEFAULT_COMPARE, resamples: 500 });
      if (v.verdict !== 'same') flagged++;
    }
    expect(flagged).toBeLessThanOrEqual(10);
  });

  it('calls a clear speed-up faster, and a small significant change the same', () => {
    expect(comparePoint(runsOf(6, 0.005), point('m a', samples(40, 0.8e-3, 0.01, 9)), DEFAULT_COMPARE).verdict).toBe('faster');
    const small = comparePoint(point('m a', samples(200, 1e-3, 0.005, 1)), point('m a', samples(200, 1.02e-3, 0.005, 2)), DEFAULT_COMPARE);
    expect(small.p).toBeLessThan(0.01); // real, but below the 5% threshold
    expect(small.verdict).toBe('same');
  });

  it('with one baseline run, a clear change beyond the threshold is uncertain, never a failure', () => {
    const v = comparePoint(point('m a', samples(40, 1e-3, 0.01, 1)), point('m a', samples(40, 1.3e-3, 0.01, 2)), DEFAULT_COMPARE);
    expect(v.verdict).toBe('uncertain');
    expect(v.note).toMatch(/one baseline run cannot tell/);
  });

  it('a change beyond the threshold but within the run-to-run noise is uncertain, with the reason', () => {
    const v = comparePoint(runsOf(4, 0.04), point('m a', samples(40, 1.08e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(v.verdict).toBe('uncertain');
    expect(v.note).toMatch(/within the run-to-run bar of ±\d+\.\d%/);
  });

  it('copy ceilings inform but do not fail the job unless asked', () => {
    const base = [1, 2, 3].map((i) => point('pinned-memcpy a', samples(40, 1e-3, 0.005, i), { method: 'pinned-memcpy' }));
    const slow = point('pinned-memcpy a', samples(40, 1.3e-3, 0.005, 9), { method: 'pinned-memcpy' });
    const v = comparePoint(base, slow, DEFAULT_COMPARE);
    expect(v).toMatchObject({ verdict: 'slower', gated: false });
    expect(failsJob([v])).toBe(false);
    expect(failsJob([comparePoint(base, slow, { ...DEFAULT_COMPARE, gateCeilings: true })])).toBe(true);
  });

  it('the run-to-run sigma is robust to one odd run', () => {
    expect(runToRunSigma([1])).toBeUndefined();
    expect(runToRunSigma([1, 1.1])).toBeCloseTo(0.05 / 1.05, 9);
    expect(runToRunSigma([1, 1.01, 0.99, 1.0, 1.5])!).toBeLessThan(0.02); // one odd run
    expect(runToRunSigma([0.9, 0.9, 0.9, 1.1, 1.1])!).toBeGreaterThan(0.1); // two states
  });

  it('reports missing and new points, and failures in the candidate as slower', () => {
    const s = samples(20, 1e-3, 0.01, 1);
    const base = fakeRun([point('a x', s), point('b x', s), point('c x', s)]);
    const cand = fakeRun([point('a x', s), point('c x', s, { status: 'failed', reason: 'verification failed: output row 3 differs' }), point('d x', s)]);
    const v = Object.fromEntries(compareRunPoints(base, cand, DEFAULT_COMPARE).map((p) => [p.id, p]));
    expect(v['a x'].verdict).toBe('same');
    expect(v['b x'].verdict).toBe('missing');
    expect(v['c x']).toMatchObject({ verdict: 'slower', note: expect.stringContaining('output row 3 differs') });
    expect(v['d x'].verdict).toBe('new');
  });

  it('parses thresholds', () => {
    expect(parseThreshold('5')).toBe(0.05);
    expect(parseThreshold('5%')).toBe(0.05);
    expect(parseThreshold('0.1')).toBe(0.1);
    expect(() => parseThreshold('lots')).toThrow(UserError);
    expect(() => parseThreshold('150')).toThrow(UserError);
  });
});

describe('compare command', () => {
  const s = samples(30, 1e-3, 0.01, 1);
  const slow = samples(30, 1.3e-3, 0.01, 2);

  it('exits 0 when clean, 1 on a gated point slower, and writes markdown, JUnit and JSON', () => {
    const base = savedRun(fakeRun([point('a x', s), point('b x', s)], { gpu: 'H100' }));
    // four baseline runs: enough for a bar under the 5% threshold at this noise (two would leave every point uncertain)
    const more = [5, 7, 9].map((k) => savedRun(fakeRun([point('a x', samples(30, 1e-3, 0.01, k)), point('b x', samples(30, 1e-3, 0.01, k + 1))], { gpu: 'H100' })));
    const bases = [base, ...more];
    const clean = savedRun(fakeRun([point('a x', s), point('b x', s)], { gpu: 'H100' }));
    const bad = savedRun(fakeRun([point('a x', s), point('b x', slow)], { gpu: 'H100' }));
    expect(compareCommand([...bases, clean], {}, quiet)).toBe(0);
    const out = tmpDir();
    const summary = path.join(out, 'step-summary.md');
    writeFileSync(summary, '');
    process.env.GITHUB_STEP_SUMMARY = summary;
    try {
      const lines: string[] = [];
      const code = compareCommand([...bases, bad], { markdown: path.join(out, 'c.md'), junit: path.join(out, 'c.xml'), json: path.join(out, 'c.json') }, (l) => lines.push(l));
      expect(code).toBe(1);
      expect(lines.join('\n')).toMatch(/SLOWER +b x +\+30\.\d% time/);
      expect(lines.join('\n')).toMatch(/note: 4 runs measure the run-to-run noise of some points, so their bar is 10\.3 sigmas wide/);
    } finally {
      delete process.env.GITHUB_STEP_SUMMARY;
    }
    expect(readFileSync(path.join(out, 'c.md'), 'utf8')).toMatch(/1 point\(s\) slower/);
    expect(readFileSync(summary, 'utf8')).toMatch(/gatherbench compare/);
    const xml = readFileSync(path.join(out, 'c.xml'), 'utf8');
    expect(xml).toMatch(/tests="2" failures="1"/);
    expect(xml).toMatch(/<testcase name="b x" classname="gatherbench.b"><failure message="slower: \+30/);
    expect(JSON.parse(readFileSync(path.join(out, 'c.json'), 'utf8')).counts).toMatchObject({ slower: 1, same: 1 });
  });

  it('refuses to compare different GPU models unless forced', () => {
    const a = savedRun(fakeRun([point('a x', s)], { gpu: 'NVIDIA H100 80GB HBM3' }));
    const b = savedRun(fakeRun([point('a x', s)], { gpu: 'NVIDIA H200' }));
    expect(() => compareCommand([a, b], {}, quiet)).toThrow(/refusing to compare runs from different machines: baseline NVIDIA H100 80GB HBM3 \(driver 580\.1\), candidate NVIDIA H200/);
    expect(compareCommand([a, b], { force: true }, quiet)).toBe(0);
  });

  it('says when the baselines measured another GPU of the model than the candidate', () => {
    const gpu = 'NVIDIA H100 80GB HBM3';
    const on = (uuid: string) => {
      const r = fakeRun([point('a x', s)], { gpu });
      r.environment.cuda!.devices[0].uuid = uuid;
      return savedRun(r);
    };
    const lines: string[] = [];
    expect(compareCommand([on('GPU-a'), on('GPU-b'), on('GPU-b')], {}, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/note: 1 of 2 baseline run\(s\) measured another NVIDIA H100 80GB HBM3 than the candidate \(GPU GPU-b\).*keep a baseline per runner/);
    const same: string[] = [];
    compareCommand([on('GPU-b'), on('GPU-b')], {}, (l) => same.push(l));
    expect(same.join('\n')).not.toMatch(/another/);
  });

  it('refuses to gate cold samples against warm ones (a baseline saved before cold sampling) unless forced', () => {
    const gpu = 'NVIDIA H100 80GB HBM3';
    const warm = fakeRun([point('a x', s)], { gpu });
    warm.scenario.sampling = { ...warm.scenario.sampling, flush: undefined as unknown as boolean };
    const a = savedRun(warm);
    const b = savedRun(fakeRun([point('a x', s)], { gpu }));
    expect(() => compareCommand([a, b], {}, quiet)).toThrow(/refusing to compare warm samples \(.*\) with cold ones \(the candidate\).*re-save the baseline/);
    expect(compareCommand([a, b], { force: true }, quiet)).toBe(0);
    // host-only runs have no GPU caches to flush: nothing to refuse
    expect(compareCommand([savedRun(fakeRun([point('a x', s)])), savedRun(fakeRun([point('a x', s)]))], {}, quiet)).toBe(0);
  });

  it('the CLI flags a planted slowdown end to end, and exits 2 on bad input', () => {
    const file = scenarioFile('name: gate\nmethods: [host-gather-copy]\naxes: { width: [16], batch: [256, 1024], table: ["2000 rows"] }\nsampling: { minSamples: 10, budget: 300ms }\ntelemetry: { window: 0, idle: 0 }\n');
    const run = (env: Record<string, string> = {}) => runScenario(file, env);
    const [base, base2, base3, base4] = [run(), run(), run(), run()];
    const slowed = run({ GATHERBENCH_TEST_SLOWDOWN_US: '3000' });
    expect(slowed.stdout).toMatch(/deliberately slowed by 3000 µs/);
    const cmp = (...runs: string[]) => spawnSync(process.execPath, [bin, 'compare', ...runs], { encoding: 'utf8' });
    const [bd, bd2, sd] = [base.dir, base2.dir, slowed.dir];
    expect(cmp(bd, bd2, bd).status).toBe(0);
    const flagged = cmp(bd, bd2, base3.dir, base4.dir, sd); // four baselines: a bar of 10 sigmas (two: 289)
    expect(flagged.status).toBe(1);
    expect(flagged.stdout).toMatch(/2 slower/);
    const one = cmp(bd, sd); // one baseline run: uncertain, not a failure
    expect(one.status).toBe(0);
    expect(one.stdout).toMatch(/2 uncertain/);
    const bad = cmp(bd, '/nonexistent');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^gatherbench: \/nonexistent: no results\.json there\n$/);
  });
});

describe('several baseline runs', () => {
  it('raise the bar to the prediction bound of the runs they have, so run-to-run noise is never slower', () => {
    // two baseline runs 8% apart, each tight; the candidate sits 8% above the faster one
    const a = fakeRun([point('p x', samples(30, 1.0e-3, 0.005, 1))], { gpu: 'H100' });
    const b = fakeRun([point('p x', samples(30, 1.08e-3, 0.005, 2))], { gpu: 'H100' });
    const c = fakeRun([point('p x', samples(30, 1.08e-3, 0.005, 3))], { gpu: 'H100' });
    expect(compareRunPoints([a], c, DEFAULT_COMPARE)[0].verdict).toBe('uncertain'); // one baseline run: noise looks like a change
    const v = compareRunPoints([a, b], c, DEFAULT_COMPARE)[0];
    expect(v.verdict).toBe('uncertain'); // 3.8% above the baselines' centre, but runs 8% apart cannot vouch for 5%
    expect(v.note).toMatch(/cannot resolve a 5\.0% change here: the run-to-run bar is ±[\d.]+% \(2 runs spread ±3\.\d%/);
    expect(v.runSpread).toBeCloseTo(0.04 / 1.04, 2);
    expect(v.needed! / v.runSpread!).toBeCloseTo(predictionSigmas(2), 6);
    // two runs say next to nothing about the spread: even a 35% slowdown is uncertain, with the reason
    const slow = fakeRun([point('p x', samples(30, 1.35e-3, 0.005, 4))], { gpu: 'H100' });
    const two = compareRunPoints([a, b], slow, DEFAULT_COMPARE)[0];
    expect(two.verdict).toBe('uncertain');
    expect(two.note).toMatch(/the bar is 288\.8 sigmas for 2 runs/);
    // eight runs spread 1%: the bar is 4.8 sigmas (4.8%), and the 35% slowdown clears it
    const eight = [1, 1.01, 0.99, 1.0, 1.02, 0.98, 1.005, 0.995].map((m, i) => fakeRun([point('p x', samples(30, m * 1e-3, 0.005, 10 + i))], { gpu: 'H100' }));
    const called = compareRunPoints(eight, slow, DEFAULT_COMPARE)[0];
    expect(called.verdict).toBe('slower');
    expect(called.needed).toBeCloseTo(Math.max(0.05, predictionSigmas(8) * called.runSpread!), 9);
    expect(called.runs).toBe(8);
  });

  it('keeps the newest runs under a baseline name and compares against all of them', () => {
    const store = tmpDir();
    for (let i = 0; i < 7; i++) saveBaseline(savedRun(fakeRun([point('p x', samples(20, 1e-3, 0.01, i + 1))], { gpu: 'H100' })), 'nightly', store);
    expect(listBaselines(store)).toHaveLength(5);
    const lines: string[] = [];
    expect(compareCommand(['@nightly', savedRun(fakeRun([point('p x', samples(20, 1e-3, 0.01, 99))], { gpu: 'H100' }))], { store }, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/baseline: +5 runs/);
  });
});

describe('baselines and history', () => {
  const s = samples(20, 1e-3, 0.01, 1);

  it('saves baselines keyed by GPU model and driver, and finds the right one', () => {
    const store = tmpDir();
    saveBaseline(savedRun(fakeRun([point('a x', s)], { gpu: 'NVIDIA H100', driver: '580.1' })), 'nightly', store);
    saveBaseline(savedRun(fakeRun([point('a x', s)], { gpu: 'NVIDIA H200', driver: '580.1' })), 'nightly', store);
    expect(listBaselines(store).map((b) => `${b.name} ${b.machine.model} ${b.machine.driver}`)).toEqual(['nightly NVIDIA H100 580.1', 'nightly NVIDIA H200 580.1']);
    expect(existsSync(path.join(store, 'nvidia-h100', '580.1', 'nightly'))).toBe(true);
    const cand = fakeRun([point('a x', s)], { gpu: 'NVIDIA H100', driver: '590.2' });
    const r = resolveBaseline('nightly', cand, { store });
    expect(r.runs.map((x) => x.run.environment.cuda!.devices[0].name)).toEqual(['NVIDIA H100']);
    expect(r.note).toBe('baseline driver 580.1 differs from the candidate\'s 590.2');
    expect(() => resolveBaseline('nightly', fakeRun([point('a x', s)], { gpu: 'NVIDIA A100' }), { store })).toThrow(/no baseline 'nightly' for NVIDIA A100/);
    expect(compareCommand(['@nightly', savedRun(cand)], { store }, quiet)).toBe(0);
  });

  it('appends runs to a JSONL history and marks step changes', () => {
    const file = path.join(tmpDir(), 'history.jsonl');
    const nights = [1e-3, 1.001e-3, 0.999e-3, 1.2e-3, 1.2e-3].map((m, i) => fakeRun([point('a x', samples(30, m, 0.01, i + 1))], { gpu: 'H100', startedAt: `2026-01-0${i + 1}T00:00:00Z` }));
    nights.forEach((r, i) => appendHistory(file, `/runs/night-${i + 1}`, r));
    const records = readHistory(file);
    expect(records).toHaveLength(5);
    const steps = findSteps(records, 0.05);
    expect(steps.map((x) => x.run)).toEqual(['night-4']);
    expect(steps[0].ratio).toBeCloseTo(1.2, 1);
    expect(steps[0].runs).toBe(3);
    const html = renderHistory(records, steps, 0.05);
    expect(html).toMatch(/night-4/);
    expect(html).toMatch(/Step changes \(threshold 5%\)/);
  });

  it('marks no step on a host whose runs move ±10% night to night, and marks a real level shift beyond that noise', () => {
    const file = path.join(tmpDir(), 'history.jsonl');
    const levels = [1, 1.1, 0.92, 1.05, 0.95, 1.08, 0.97, 1.03, 0.94, 1.06, 1.6, 1.62];
    levels.forEach((m, i) => appendHistory(file, `/runs/night-${i + 1}`, fakeRun([point('a x', samples(30, m * 1e-3, 0.005, i + 1))], { gpu: 'H100', startedAt: `2026-01-${String(i + 1).padStart(2, '0')}T00:00:00Z` })));
    const steps = findSteps(readHistory(file), 0.05);
    expect(steps.map((x) => x.run)).toEqual(['night-11']); // consecutive runs' CIs never overlap here: the old rule marked 10 of 11
    expect(steps[0].needed).toBeGreaterThan(0.1);
  });
});

describe('noise from the history', () => {
  it('earlier runs in the history turn a point that flips between two states from slower into uncertain', () => {
    const state = (m: number, seed: number) => fakeRun([point('zerocopy-aligned p', samples(40, m, 0.005, seed), { method: 'zerocopy-aligned' })], { gpu: 'H100' });
    const [a, b] = [savedRun(state(0.9e-3, 1)), savedRun(state(0.9e-3, 2))];
    const cand = savedRun(state(1.1e-3, 3));
    expect(compareCommand([a, b, cand], {}, quiet)).toBe(1);
    const file = path.join(tmpDir(), 'h.jsonl');
    for (const [i, m] of [[4, 1.1e-3], [5, 0.9e-3], [6, 1.1e-3]] as const) appendHistory(file, `/runs/night-${i}`, state(m, i));
    const lines: string[] = [];
    expect(compareCommand([a, b, cand], { history: file }, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/UNCERTAIN .*within the run-to-run bar/);
  });
});

describe('confirmation before failing', () => {
  it('re-measures slower points in a fresh process: a slowdown that does not come back is uncertain, one that does fails', () => {
    // Samples of ~1 ms, a 21-fold time and a 60% threshold: clear through the noise of a small, busy CI machine
    // (runs of it spread up to ±70%, a bar near 550% with five baselines) and beyond the 4x that steal excuses.
    const file = scenarioFile('name: confirm\nmethods: [host-gather-copy]\naxes: { width: [256], batch: [16384], table: ["20000 rows"] }\nsampling: { minSamples: 15, budget: 300ms, precision: 0.01 }\ntelemetry: { window: 0, idle: 0 }\n');
    const run = (env: Record<string, string> = {}) => runScenario(file, env).dir;
    const bases = [run(), run(), run(), run(), run()]; // five: a bar of 7 sigmas of their spread
    const slowed = run({ GATHERBENCH_TEST_SLOWDOWN_PCT: '2000' });
    const cmp = (env: Record<string, string>) => spawnSync(process.execPath, [bin, 'compare', ...bases, slowed, '--confirm', '--threshold', '60%'], { encoding: 'utf8', env: { ...process.env, ...env } });
    const gone = cmp({});
    expect(gone.stdout).toMatch(/confirmation: 1 point\(s\) re-measured in a fresh process in [\d.]+ s .*; 0 slower again/);
    expect(gone.stdout).toMatch(/UNCERTAIN .*not confirmed by a fresh re-measure/);
    expect(gone.status).toBe(0);
    const kept = cmp({ GATHERBENCH_TEST_SLOWDOWN_PCT: '2000' }); // the slowdown is real: the fresh process sees it too
    expect(kept.stdout).toMatch(/1 slower again/);
    expect(kept.status).toBe(1);
  }, 60000);

  it('run --only measures just the listed points and refuses ids the scenario does not have', () => {
    const file = scenarioFile('name: only\nmethods: [host-gather-copy, host-memcpy]\naxes: { width: [8], batch: [64], table: ["1000 rows"] }\nsampling: { minSamples: 5, budget: 50ms }\ntelemetry: { window: 0, idle: 0 }\n');
    const ids = path.join(tmpDir(), 'ids.txt');
    writeFileSync(ids, 'host-memcpy width=8 dtype=fp32 batch=64 table=1000rows threads=0 alloc=malloc contention=0\n');
    const list = spawnSync(process.execPath, [bin, 'run', file, '--only', ids, '-o', tmpDir()], { encoding: 'utf8' });
    expect(list.status).toBe(2);
    expect(list.stderr).toMatch(/is not a point of this scenario/);
  });
});
