/**
 * What a timed sample guarantees, checked on the host path (no GPU needed):
 * verified index sets, a checksum of every timed output, planted wrong
 * outputs never timed, the sampled+checksum path, failures inside the thread
 * pool, telemetry never polling during timed samples, and the accounting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadAddon, type Addon, type NativeBench } from '../harness/native/addon.js';
import { nativeFacts, isContiguous, testSwitchWarnings } from '../harness/native/facts.js';
import { METHODS } from '../harness/methods.js';
import { runCommand } from '../harness/cli/run.js';
import { loadRun } from '../harness/results/store.js';
import { PlainProgress } from '../harness/runner/progress.js';
import { measureCase, windowSeconds, MIN_WINDOW_S } from '../harness/runner/measure.js';
import { expand } from '../harness/scenario/expand.js';
import { Telemetry } from '../harness/telemetry/session.js';
import { TIMING_PARTS, timingLine, closeTiming, costByMethod, costLine, emptyTiming } from '../harness/results/timing.js';
import { scenario, scenarioFile, tmpDir } from './helpers.js';
import { UserError } from '../harness/errors.js';

const { addon: loaded, loadError } = loadAddon();
if (!loaded) throw new Error(`tests need the native addon: ${loadError}`);
const addon: Addon = loaded;

const SWITCHES = ['GATHERBENCH_TEST_CORRUPT', 'GATHERBENCH_TEST_FULL_VERIFY_BYTES', 'GATHERBENCH_TEST_THROW_IN_POOL'];
afterEach(() => {
  for (const k of SWITCHES) delete process.env[k];
});

/** The real addon, with a hook before every chunk of timed samples. */
function watchRuns(before: () => void): Addon {
  const watched: Addon = Object.create(addon);
  watched.prepare = async (t, o) => {
    const b = await addon.prepare(t, o);
    return {
      run: async (x) => {
        before();
        const r = await b.run(x);
        before();
        return r;
      },
      soak: (x) => b.soak(x),
      details: () => b.details(),
      close: () => b.close(),
      launchLatency: () => b.launchLatency(),
    };
  };
  return watched;
}

async function withBench<T>(batch: number, f: (b: NativeBench) => Promise<T>, rowBytes = 12): Promise<T> {
  const table = await addon.createTable({ rows: 3000, rowBytes, alloc: 'malloc', seed: 3 });
  const bench = await addon.prepare(table, { method: 'host-gather-copy', batch, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1, threads: 2 });
  try {
    return await f(bench);
  } finally {
    bench.close();
    table.release();
  }
}

describe('verified index sets', () => {
  it('verify each set once and checksum every timed output', async () => {
    // a CPU gather's rows are evicted before each timed sample: it rotates through the few sets of the methods the flush leaves cold
    const sets = addon.indexSetCount({ outputBytes: 1000 * 12, coldAfterFlush: true });
    const r = await withBench(1000, (b) => b.run({ firstSample: 0, samples: sets + 12, warmup: 1 }));
    expect(r.verification.ok).toBe(true);
    expect(r.total).toHaveLength(sets + 12);
    expect(r.checksums).toBe(sets + 12);
    // each set of 1000 rows compared with the table once, however many samples rotate through it
    expect(r.verification.rowsVerified).toBe(sets * 1000);
    expect(r.time.timed).toBeCloseTo([...r.total].reduce((a, b) => a + b, 0), 9);
    for (const k of ['setup', 'warmup', 'verify', 'flush'] as const) expect(r.time[k]).toBeGreaterThanOrEqual(0);
  });

  it('a wrong output in a set\'s first run fails the point, names the row and times nothing', async () => {
    process.env.GATHERBENCH_TEST_CORRUPT = 'first';
    const r = await withBench(1000, (b) => b.run({ firstSample: 0, samples: 5, warmup: 1 }));
    expect(r.verification.ok).toBe(false);
    expect(r.verification.badRow).toBe(500);
    expect(r.verification.detail).toMatch(/output row 500 .*differs/);
    expect(r.total).toHaveLength(0);
  });

  it('a wrong output in one rotated, already verified set is caught by its checksum', async () => {
    // a CPU gather's rows are evicted before each timed sample: it rotates through the few sets of the methods the flush leaves cold
    const sets = addon.indexSetCount({ outputBytes: 1000 * 12, coldAfterFlush: true });
    process.env.GATHERBENCH_TEST_CORRUPT = String(sets + 6); // set 6, timed before
    const r = await withBench(1000, (b) => b.run({ firstSample: 0, samples: sets + 10, warmup: 1 }));
    expect(r.verification.ok).toBe(false);
    expect(r.verification.detail).toMatch(new RegExp(`^timed sample ${sets + 6}: output row 500`));
    expect(r.total).toHaveLength(sets + 6); // the samples before passed; that one and later never count
  });

  it('a set comes back only after twice a last-level cache of other rows', () => {
    // a 32 MiB cache at least (the fallback where sysfs says nothing), outputs of 64 KiB: 1,024 sets or more
    expect(addon.indexSetCount({ outputBytes: 65_536, coldAfterFlush: false })).toBeGreaterThanOrEqual(1024);
    expect(addon.indexSetCount({ outputBytes: 2 ** 30, coldAfterFlush: false })).toBe(2);
    expect(addon.indexSetCount({ outputBytes: 1, coldAfterFlush: false })).toBe(4096); // bounded
  });

  it('where the flush leaves nothing of earlier samples, four sets, fewer for outputs past 64 MiB', () => {
    expect(addon.indexSetCount({ outputBytes: 65_536, coldAfterFlush: true })).toBe(4);
    expect(addon.indexSetCount({ outputBytes: 64 * 2 ** 20, coldAfterFlush: true })).toBe(4);
    expect(addon.indexSetCount({ outputBytes: 100 * 2 ** 20, coldAfterFlush: true })).toBe(2);
    expect(addon.indexSetCount({ outputBytes: 2 ** 30, coldAfterFlush: true })).toBe(2);
    expect(() => addon.indexSetCount({ outputBytes: 1 } as never)).toThrow(/coldAfterFlush/);
  });

  it('outputs over the full-verification limit are checked on sampled rows plus the checksum', async () => {
    process.env.GATHERBENCH_TEST_FULL_VERIFY_BYTES = '4096';
    const ok = await withBench(4096, (b) => b.run({ firstSample: 0, samples: 4, warmup: 1 }));
    expect(ok.verification).toMatchObject({ ok: true, mode: 'sampled+checksum', rowsVerified: 4 * 1024 });
    process.env.GATHERBENCH_TEST_CORRUPT = 'first';
    // row 2048 is not among the sampled rows: the checksum catches it and a scan names it
    const bad = await withBench(4096, (b) => b.run({ firstSample: 0, samples: 4, warmup: 1 }));
    expect(bad.verification.ok).toBe(false);
    expect(bad.verification.detail).toMatch(/output row 2048 /);
  });

  it('an exception on a pool worker fails the call, not the process, and the pool keeps working', async () => {
    await withBench(1000, async (b) => {
      process.env.GATHERBENCH_TEST_THROW_IN_POOL = '1';
      await expect(b.run({ firstSample: 0, samples: 2, warmup: 1 })).rejects.toThrow(/planted failure on pool worker 1/);
      delete process.env.GATHERBENCH_TEST_THROW_IN_POOL;
      const r = await b.run({ firstSample: 2, samples: 2, warmup: 0 });
      expect(r.verification.ok).toBe(true);
    });
  });
});

const TINY = `
name: tiny
methods: [host-gather-copy, host-memcpy]
axes: { width: [8, 64], batch: [500], table: ["2000 rows"] }
sampling: { warmup: 1, minSamples: 5, maxSamples: 20, budget: 100ms, precision: 0.05 }
telemetry: { window: 100ms, idle: 0 }
`;
const quiet = () => undefined;
const runDir = (out: string) => path.join(out, readdirSync(out)[0]);

describe('a run', () => {
  it('fails a point whose pool throws and goes on with the rest', async () => {
    const out = tmpDir();
    process.env.GATHERBENCH_TEST_THROW_IN_POOL = '1';
    const code = await runCommand(scenarioFile(TINY), { out, log: quiet, progress: new PlainProgress(quiet) });
    const { run } = loadRun(runDir(out));
    expect(code).toBe(1);
    expect(run.status).toBe('complete');
    const gathers = run.points.filter((p) => p.method === 'host-gather-copy');
    expect(gathers.every((p) => p.status === 'failed' && /planted failure/.test(p.reason!))).toBe(true);
    expect(run.points.filter((p) => p.method === 'host-memcpy').every((p) => p.status === 'ok')).toBe(true);
    expect(run.warnings!.some((w) => /GATHERBENCH_TEST_THROW_IN_POOL/.test(w))).toBe(true);
  });

  it('accounts for its wall time: the parts add up, and timed is the sum of the samples', async () => {
    const out = tmpDir();
    const lines: string[] = [];
    expect(await runCommand(scenarioFile(TINY), { out, log: (l) => lines.push(l), progress: new PlainProgress(quiet) })).toBe(0);
    const { run } = loadRun(runDir(out));
    const t = run.timing!;
    const parts = TIMING_PARTS.reduce((s, p) => s + t[`${p}Seconds`], 0);
    expect(parts).toBeCloseTo(t.wallSeconds, 6);
    const samples = run.points.flatMap((p) => p.samples.total).reduce((a, b) => a + b, 0);
    expect(t.timedSeconds).toBeCloseTo(samples, 6);
    expect(t.telemetrySeconds).toBeGreaterThan(0);
    // the accounting line, then (two methods here) what each method's points cost
    expect(lines.at(-2)).toMatch(/^timed \d+(\.\d)?% of [\d.]+ s: /);
    expect(lines.at(-1)).toMatch(/^by method: host-(gather-copy|memcpy) [\d.]+ s \([\d.]+% timed\), host-(gather-copy|memcpy) .*; outside points [\d.]+ s/);
    for (const p of run.points) {
      expect(p.verification!.checkedSamples).toBe(p.samples.total.length);
      const pt = p.timing!;
      expect(TIMING_PARTS.reduce((s, k) => s + pt[`${k}Seconds`], 0)).toBeCloseTo(pt.wallSeconds, 6);
      // what the machine took from the point while it sampled, where Linux says (steal, cgroup throttling)
      if (existsSync('/proc/stat')) expect(p.host!.stealPct).toBeGreaterThanOrEqual(0);
    }
  });

  it('never polls telemetry while a timed sample runs', async () => {
    const s = scenario({ methods: ['host-gather-copy'], axes: { width: [16], batch: [2000], table: ['4000 rows'] }, sampling: { warmup: 1, minSamples: 5, maxSamples: 30, budget: 0.2, precision: 0.01 } });
    const tel = await Telemetry.open(addon, undefined, { intervalMs: 1, windowSeconds: 0.05, idleSeconds: 0 });
    const sampling: boolean[] = [];
    // Was the sampler running when a chunk of timed samples started or ended?
    const watched = watchRuns(() => sampling.push(tel.sampling));
    const table = await addon.createTable({ rows: 4000, rowBytes: 64, alloc: 'malloc', seed: 1 });
    try {
      const p = await measureCase(watched, table, expand(s)[0], { seed: 1, sampling: s.sampling, device: 'host', signal: new AbortController().signal, telemetry: tel });
      expect(p!.status).toBe('ok');
      expect(p!.telemetry!.iterations).toBeGreaterThan(0);
    } finally {
      table.release();
    }
    expect(sampling.length).toBeGreaterThan(1);
    expect(sampling.every((x) => x === false)).toBe(true);
  });

  it('an abort in the middle of a point records nothing half-done; resume finishes it', async () => {
    const out = tmpDir();
    const controller = new AbortController();
    let points = 0;
    const progress = { start: quiet, stop: quiet, caseDone: () => void points++ };
    const watched = watchRuns(() => {
      if (points === 2) controller.abort(); // while the third point samples
    });
    // one draw a point: points are measured one after another (the CPU path's turns are the next test)
    const file = scenarioFile(TINY.replace('precision: 0.05 }', 'precision: 0.05, draws: 1 }'));
    const code = await runCommand(file, { out, log: quiet, progress, signal: controller.signal, addon: watched });
    expect(code).toBe(130);
    const dir = runDir(out);
    expect(loadRun(dir).run.points).toHaveLength(2);
    expect(await runCommand(undefined, { resume: dir, log: quiet, progress: new PlainProgress(quiet) })).toBe(0);
    const { run } = loadRun(dir);
    expect(run.points).toHaveLength(4);
    expect(new Set(run.points.map((p) => p.id)).size).toBe(4);
  });

  it("an abort during the CPU path's turns records none of its batch; resume measures every point's draws", async () => {
    const out = tmpDir();
    const controller = new AbortController();
    let runs = 0;
    const watched = watchRuns(() => {
      if (++runs === 12) controller.abort(); // in the middle of the turns
    });
    const code = await runCommand(scenarioFile(TINY), { out, log: quiet, progress: new PlainProgress(quiet), signal: controller.signal, addon: watched });
    expect(code).toBe(130);
    const dir = runDir(out);
    expect(loadRun(dir).run.points).toHaveLength(0);
    expect(await runCommand(undefined, { resume: dir, log: quiet, progress: new PlainProgress(quiet) })).toBe(0);
    const { run } = loadRun(dir);
    expect(run.points.map((p) => p.draws?.medians.length)).toEqual([2, 2, 2, 2]); // a 100 ms budget: visits of 50 ms
  });

  it('refuses --methods, --budget, --no-flush or a scenario with --resume', async () => {
    for (const o of [{ methods: 'host-memcpy' }, { budget: '1s' }, { flush: false }]) {
      await expect(runCommand(undefined, { resume: '/nonexistent', log: quiet, ...o })).rejects.toThrow(UserError);
    }
    await expect(runCommand('default', { resume: '/nonexistent', log: quiet })).rejects.toThrow(/cannot be given with it/);
  });
});

describe('one place for each fact', () => {
  it('the addon lists exactly the native methods the harness knows, and says which copy contiguous rows', () => {
    const f = nativeFacts();
    expect(f.methods.map((m) => m.name).sort()).toEqual(METHODS.filter((m) => m.backend !== 'peer').map((m) => m.name).sort());
    expect(isContiguous('pinned-memcpy', f) && isContiguous('host-memcpy', f)).toBe(true);
    expect(isContiguous('zerocopy-aligned', f)).toBe(false);
    expect(f.fullVerifyBytes).toBe(64 * 2 ** 20);
    expect(f.vectorBytes).toEqual([2, 4, 8, 16]);
  });

  it('every test switch in force is named in the run warnings', () => {
    const f = nativeFacts();
    expect(testSwitchWarnings(f)).toEqual([]);
    process.env.GATHERBENCH_TEST_CORRUPT = '3';
    process.env.GATHERBENCH_TEST_FULL_VERIFY_BYTES = '1000';
    const w = testSwitchWarnings(nativeFacts());
    expect(w.some((x) => x.includes('GATHERBENCH_TEST_CORRUPT'))).toBe(true);
    expect(w.some((x) => x.includes('1000 bytes'))).toBe(true);
  });
});

describe('telemetry windows and the accounting line', () => {
  it('windows are a quarter of the timed seconds, within [minimum, configured]', () => {
    expect(windowSeconds(0.001, 0.5)).toBe(MIN_WINDOW_S);
    expect(windowSeconds(0.8, 0.5)).toBeCloseTo(0.2, 12);
    expect(windowSeconds(10, 0.5)).toBe(0.5);
    expect(windowSeconds(10, 0)).toBe(0);
    // a scenario that asks for every point's energy gets its whole window, however short the point
    expect(windowSeconds(0.001, 0.5, true)).toBe(0.5);
    expect(windowSeconds(10, 0.5, true)).toBe(0.5);
  });

  it('the closing line says the timed share and the largest other parts', () => {
    const t = emptyTiming();
    t.timedSeconds = 41;
    t.verifySeconds = 10;
    t.setupSeconds = 8;
    t.telemetrySeconds = 6;
    closeTiming(t, 71);
    expect(t.otherSeconds).toBeCloseTo(6, 9);
    expect(timingLine(t)).toBe('timed 58% of 71 s: verify 14%, setup 11%, telemetry 8%, other 8%');
  });

  it('each method\'s points add up to its cost, costliest first, and the rest of the run is outside points', () => {
    const point = (method: string, wall: number, timed: number) => {
      const t = emptyTiming();
      t.timedSeconds = timed;
      t.setupSeconds = wall - timed;
      return { method, timing: closeTiming(t, wall) };
    };
    const points = [point('zerocopy-aligned', 0.5, 0.2), point('uvm', 2, 0.001), point('zerocopy-aligned', 0.3, 0.1), point('uvm', 1.5, 0.001), { method: 'skipped' }];
    const costs = costByMethod(points);
    expect(costs.map((c) => c.method)).toEqual(['uvm', 'zerocopy-aligned']);
    expect(costs[0]).toEqual({ method: 'uvm', wallSeconds: 3.5, timedSeconds: 0.002 });
    expect(costs[1].wallSeconds).toBeCloseTo(0.8, 12);
    const run = emptyTiming();
    closeTiming(run, 10);
    expect(costLine(costs, run)).toBe('by method: uvm 3.5 s (0.1% timed), zerocopy-aligned 0.8 s (38% timed); outside points 5.7 s (tables, start-up, idle window, report)');
  });
});
