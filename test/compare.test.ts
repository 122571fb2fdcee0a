import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { rng } from '../harness/stats/rng.js';
import { DEFAULT_COMPARE, compareRunPoints, failsJob } from '../harness/compare/verdict.js';
import type { PointResult } from '../harness/results/model.js';
import { compareCommand, parseThreshold } from '../harness/cli/compare.js';
import { listBaselines, resolveBaseline, saveBaseline } from '../harness/compare/baselines.js';
import { appendHistory, findSteps, readHistory, runToRunSigma } from '../harness/compare/history.js';
import { renderHistory } from '../reports/history.js';
import { UserError } from '../harness/errors.js';
import { packageRoot } from '../harness/paths.js';
import { comparePoint, fakeRun, point, samples, savedRun } from './fixtures.js';
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

/** n baseline runs of one point whose medians differ by `spread` (relative), each tight. */
const runsOf = (n: number, spread: number, seed = 1) => Array.from({ length: n }, (_, i) => point('m a', samples(40, 1e-3 * (1 + spread * (i % 2 ? 1 : -1) * (i > 0 ? 1 : 0)), 0.01, seed + i)));

/** A family's runs from the model: per run a shift (sigma `shift`), per point a level and residual noise (sigma `residual`). */
function familyRuns(n: number, ids: string[], method: string, shift: number, residual: number, seed: number, plant: (id: string) => number = () => 1) {
  const next = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Array.from({ length: n }, () => {
    const s = shift * gauss();
    return ids.map((id, p) => point(id, samples(20, 1e-3 * (1 + p / 4) * Math.exp(s + residual * gauss()) * plant(id), 0.002, Math.floor(next() * 1e9)), { method }));
  });
}

const ids = (method: string, n: number) => Array.from({ length: n }, (_, i) => `${method} w=${i}`);

describe('verdicts', () => {
  it('calls a planted 10% slowdown slower, given baseline runs that measure the noise', () => {
    const v = comparePoint(runsOf(6, 0.005), point('m a', samples(40, 1.1e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(v.verdict).toBe('slower');
    expect(v.timeRatio).toBeCloseTo(1.1, 1);
    expect(v.ratioCi![0]).toBeGreaterThan(1);
    // one statistic: the estimate lies inside its own interval
    expect(v.ratioCi![0]).toBeLessThan(v.timeRatio!);
    expect(v.ratioCi![1]).toBeGreaterThan(v.timeRatio!);
  });

  it('pools the noise of a method: one point that moved against the rest is found with three baseline runs', () => {
    const fam = ids('zerocopy-aligned', 6);
    const o = { ...DEFAULT_COMPARE, threshold: 0.03 };
    let pooled = 0, alone = 0, falseAlarms = 0;
    for (let seed = 0; seed < 60; seed++) {
      const [b1, b2, b3, c] = familyRuns(4, fam, 'zerocopy-aligned', 0.003, 0.003, 100 + seed);
      const slowOne = c.map((p, i) => (i === 2 ? point(p.id, p.samples.total.map((x) => x * 1.04), { method: p.method }) : p));
      const v = compareRunPoints([b1, b2, b3].map((x) => fakeRun(x)), fakeRun(slowOne), o);
      if (v[2].verdict === 'slower') pooled++;
      falseAlarms += v.filter((p, i) => i !== 2 && p.verdict === 'slower').length;
      // the same point judged on its own three runs: two degrees of freedom where the family's six points give ten
      if (comparePoint([b1[2], b2[2], b3[2]], slowOne[2], o).verdict === 'slower') alone++;
      if (seed === 0) expect(v[2].note).toMatch(/against the other points of zerocopy-aligned \(they moved -?[\d.]+%; residual noise pooled over gpu-threads-over-pcie\)/);
    }
    expect(pooled).toBeGreaterThanOrEqual(54);
    expect(alone).toBeLessThan(pooled);
    expect(falseAlarms).toBeLessThanOrEqual(3); // 300 unplanted point-nights at a 1% share of the night's rate
  });

  it('a whole method slowed is slower where its run shifts are small, uncertain where they are not', () => {
    const quiet = familyRuns(4, ids('device-resident', 6), 'device-resident', 0.003, 0.003, 11);
    const loud = familyRuns(4, ids('cpu-gather-memcpy', 6), 'cpu-gather-memcpy', 0.15, 0.01, 12);
    const slow = (ps: PointResult[]) => ps.map((p) => point(p.id, p.samples.total.map((x) => x * 1.1), { method: p.method }));
    const bases = [0, 1, 2].map((r) => fakeRun([...quiet[r], ...loud[r]]));
    const v = compareRunPoints(bases, fakeRun([...slow(quiet[3]), ...slow(loud[3])]), DEFAULT_COMPARE);
    const of = (m: string) => v.filter((p) => p.method === m).map((p) => p.verdict);
    expect(of('device-resident').every((x) => x === 'slower')).toBe(true);
    expect(v.find((p) => p.method === 'device-resident')!.note).toMatch(/every point of device-resident moved, [\d.]+% on average: beyond the ±[\d.]+% earlier runs' shifts allow \(pooled over gpu-memory\)/);
    expect(of('cpu-gather-memcpy').every((x) => x === 'uncertain')).toBe(true);
  });

  it('fails at most the stated share of nights of unchanged code (simulated, 3 and 5 baselines)', () => {
    for (const k of [3, 5]) {
      let failed = 0;
      const nights = 300;
      for (let night = 0; night < nights; night++) {
        const fams = [
          familyRuns(k + 1, ids('device-resident', 6), 'device-resident', 0.003, 0.003, 1000 * k + 3 * night),
          familyRuns(k + 1, ids('zerocopy-aligned', 6), 'zerocopy-aligned', 0.005, 0.004, 1000 * k + 3 * night + 1),
          familyRuns(k + 1, ids('cpu-gather-memcpy', 6), 'cpu-gather-memcpy', 0.15, 0.03, 1000 * k + 3 * night + 2),
        ];
        const runs = Array.from({ length: k + 1 }, (_, r) => fakeRun(fams.flatMap((f) => f[r])));
        if (failsJob(compareRunPoints(runs.slice(0, k), runs[k], DEFAULT_COMPARE))) failed++;
      }
      // nominal 2%: 6 of 300; binomial noise allows a few more, not the 50% of the old sample-pooled test
      expect(failed).toBeLessThanOrEqual(12);
    }
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

  it('an odd slow baseline run widens the noise: a move like it is uncertain, not slower', () => {
    const bases = [1, 2, 3, 4, 5].map((i) => point('m a', samples(40, 1e-3 * (i === 3 ? 2 : 1 + 0.002 * i), 0.01, i)));
    const v = comparePoint(bases, point('m a', samples(40, 1.8e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(v.verdict).toBe('uncertain');
    expect(v.note).toMatch(/cannot resolve a 5\.0% change here/);
  });

  it('calls a point the same only where the interval of its change lies inside the threshold', () => {
    const tight = comparePoint(runsOf(6, 0.005), point('m a', samples(40, 1.0e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(tight.verdict).toBe('same');
    expect(tight.ratioCi![1]).toBeLessThan(1.05);
    const small = comparePoint(runsOf(6, 0.005), point('m a', samples(40, 1.02e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(small.verdict).toBe('same'); // real, but below the 5% threshold
    const wide = comparePoint(runsOf(4, 0.04), point('m a', samples(40, 1.08e-3, 0.01, 9)), DEFAULT_COMPARE);
    expect(wide.verdict).toBe('uncertain');
    expect(wide.note).toMatch(/cannot resolve a 5\.0% change here: time ratio 1\.0\d{2}, interval/);
  });

  it('calls a clear speed-up faster', () => {
    expect(comparePoint(runsOf(6, 0.005), point('m a', samples(40, 0.8e-3, 0.01, 9)), DEFAULT_COMPARE).verdict).toBe('faster');
  });

  it('with one baseline run, every move is uncertain, never a failure', () => {
    const v = comparePoint(point('m a', samples(40, 1e-3, 0.01, 1)), point('m a', samples(40, 1.3e-3, 0.01, 2)), DEFAULT_COMPARE);
    expect(v.verdict).toBe('uncertain');
    expect(v.note).toMatch(/one baseline run cannot tell/);
  });

  it('copy ceilings inform but do not fail the job unless asked', () => {
    const base = [1, 2, 3].map((i) => point('pinned-memcpy a', samples(40, 1e-3, 0.005, i), { method: 'pinned-memcpy' }));
    const slow = point('pinned-memcpy a', samples(40, 1.3e-3, 0.005, 9), { method: 'pinned-memcpy' });
    const v = comparePoint(base, slow, DEFAULT_COMPARE);
    expect(v).toMatchObject({ verdict: 'slower', gated: false });
    expect(failsJob([v])).toBe(false);
    expect(failsJob([comparePoint(base, slow, { ...DEFAULT_COMPARE, gateCeilings: true })])).toBe(true);
  });

  it('the run-to-run sigma of the history is robust to one odd run', () => {
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
    expect(v['a x'].verdict).toBe('uncertain'); // one baseline run
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
      expect(lines.join('\n')).toMatch(/note: 4 runs measure how whole families of points shift from run to run/);
    } finally {
      delete process.env.GITHUB_STEP_SUMMARY;
    }
    expect(readFileSync(path.join(out, 'c.md'), 'utf8')).toMatch(/^### gatherbench: FAIL: 1 of 2 gated points slower, 0 uncertain, 1 same, 0 faster$/m);
    expect(readFileSync(summary, 'utf8')).toMatch(/^### gatherbench: FAIL: /);
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
    const [base, base2, base3, base4, base5] = [run(), run(), run(), run(), run()];
    const slowed = run({ GATHERBENCH_TEST_SLOWDOWN_US: '30000' }); // far past a busy CI machine's run shifts (up to ±70%)
    expect(slowed.stdout).toMatch(/deliberately slowed by 30000 µs/);
    const cmp = (...runs: string[]) => spawnSync(process.execPath, [bin, 'compare', ...runs], { encoding: 'utf8' });
    const [bd, bd2, sd] = [base.dir, base2.dir, slowed.dir];
    expect(cmp(bd, bd2, bd).status).toBe(0);
    const flagged = cmp(bd, bd2, base3.dir, base4.dir, base5.dir, sd); // five baselines: a busy CI machine's odd run widens fewer
    expect(flagged.stdout, flagged.stdout).toMatch(/2 of 2 gated points slower/);
    expect(flagged.status).toBe(1);
    expect(flagged.stdout, flagged.stdout).toMatch(/2 of 2 gated points slower/);
    const one = cmp(bd, sd); // one baseline run: uncertain, not a failure
    expect(one.status).toBe(0);
    expect(one.stdout).toMatch(/2 uncertain/);
    const bad = cmp(bd, '/nonexistent');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^gatherbench: \/nonexistent: no results\.json there\n$/);
  });
});

describe('several baseline runs', () => {
  it('widen the bar to what the runs they have can say, so run-to-run noise is never slower', () => {
    // two baseline runs 8% apart, each tight; the candidate sits 8% above the faster one
    const a = fakeRun([point('p x', samples(30, 1.0e-3, 0.005, 1))], { gpu: 'H100' });
    const b = fakeRun([point('p x', samples(30, 1.08e-3, 0.005, 2))], { gpu: 'H100' });
    const c = fakeRun([point('p x', samples(30, 1.08e-3, 0.005, 3))], { gpu: 'H100' });
    expect(compareRunPoints([a], c, DEFAULT_COMPARE)[0].verdict).toBe('uncertain'); // one baseline run: noise looks like a change
    const v = compareRunPoints([a, b], c, DEFAULT_COMPARE)[0];
    expect(v.verdict).toBe('uncertain'); // 3.8% above the baselines' centre, but runs 8% apart cannot vouch for 5%
    expect(v.note).toMatch(/cannot resolve a 5\.0% change here: time ratio 1\.0\d{2}, interval [\d.]+-[\d.]+ \(2 runs; p: run shifts ±5\.\d%/);
    // two runs say next to nothing about the spread: even a 35% slowdown is uncertain
    const slow = fakeRun([point('p x', samples(30, 1.35e-3, 0.005, 4))], { gpu: 'H100' });
    expect(compareRunPoints([a, b], slow, DEFAULT_COMPARE)[0].verdict).toBe('uncertain');
    // eight runs spread 1%: the 35% slowdown clears their bar
    const eight = [1, 1.01, 0.99, 1.0, 1.02, 0.98, 1.005, 0.995].map((m, i) => fakeRun([point('p x', samples(30, m * 1e-3, 0.005, 10 + i))], { gpu: 'H100' }));
    const called = compareRunPoints(eight, slow, DEFAULT_COMPARE)[0];
    expect(called.verdict).toBe('slower');
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
    expect(lines.join('\n')).toMatch(/UNCERTAIN .*cannot resolve a 5\.0% change here/);
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
