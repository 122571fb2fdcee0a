/**
 * The training step (step-<method>, native/src/training_step.cc) without a GPU: the methods and axes it adds,
 * the scenario's sweep, the step's accounting from its parts, the findings and chart a run of it gets, the
 * result model's new phases, and a clear refusal where no GPU is.
 */
import { describe, expect, it } from 'vitest';
import { METHODS, STEP_GATHERS, gatherOf, isTrainingStep, methodSpec } from '../harness/methods.js';
import { loadScenario } from '../harness/scenario/load.js';
import { expand } from '../harness/scenario/expand.js';
import { stepAnatomy } from '../harness/model/step.js';
import { STEP_FINDINGS } from '../reports/findings-step.js';
import { findings } from '../reports/findings.js';
import { HEADLINE_MAX } from '../reports/finding.js';
import { runCharts } from '../reports/charts/index.js';
import { chartRows } from '../reports/charts/data.js';
import { validateRun } from '../harness/results/validate.js';
import { summarize } from '../harness/stats/summary.js';
import { selftestCases } from '../harness/selftest/matrix.js';
import { loadAddon } from '../harness/native/addon.js';
import type { PointResult } from '../harness/results/model.js';
import { fakeRun, point } from './fixtures.js';
import { loadRun } from '../harness/results/store.js';
import { packageRoot } from '../harness/paths.js';
import path from 'node:path';

/** A step point as measure.ts records one: the step's samples and every phase's, in seconds. */
function stepPoint(o: { gather: string; step: 'serial' | 'pipelined'; width: number; batch: number; grid?: number; stepS: number; gA: number; cA: number; gB?: number; cB?: number }): PointResult {
  const n = 5;
  const around = (s: number) => Array.from({ length: n }, (_, i) => s * (1 + (i - 2) * 0.001));
  const method = `step-${o.gather}`;
  const rowBytes = o.width * 4;
  const phases = {
    gatherAlone: summarize(around(o.gA)), computeAlone: summarize(around(o.cA)),
    gather: summarize(around(o.gB ?? o.gA)), compute: summarize(around(o.cB ?? o.cA)),
  };
  return point(`${method} w${o.width} b${o.batch} ${o.step} g${o.grid ?? 0}`, around(o.stepS), {
    method,
    axes: { width: String(o.width), dtype: 'fp32', batch: String(o.batch), step: o.step, hidden: '512', ...(o.grid !== undefined ? { grid: String(o.grid) } : {}) },
    derived: { elemBytes: 4, rowBytes, tableRows: 2 ** 32 / rowBytes, tableBytes: 2 ** 32, usefulBytes: rowBytes * o.batch },
    phases,
    samples: { total: around(o.stepS), gatherAlone: around(o.gA), computeAlone: around(o.cA), gather: around(o.gB ?? o.gA), compute: around(o.cB ?? o.cA) },
    details: { 'layer flops': String(2 * o.batch * o.width * 512) },
    telemetry: { windowSeconds: 0.2, iterations: 40, gatheredGB: 1, methodCpuSeconds: 0.08, methodCores: 0.4, cpuSecondsPerGB: 0.08, processCpuSeconds: 0.1, gpu: { uuid: 'GPU-x', energyJ: 60, throttle: [] }, unavailable: {} },
  });
}

describe('the training-step methods', () => {
  it('are one method per gather path, with that path\'s axes (one GPU) plus step and hidden', () => {
    const steps = METHODS.filter((m) => isTrainingStep(m.name));
    expect(steps.map((m) => gatherOf(m.name))).toEqual([...STEP_GATHERS]);
    for (const m of steps) {
      const base = methodSpec(gatherOf(m.name))!;
      expect(m.backend).toBe('cuda');
      expect(m.axes).toEqual([...base.axes.filter((a) => a !== 'gpus'), 'step', 'hidden']);
    }
    expect(gatherOf('zerocopy-aligned')).toBe('zerocopy-aligned');
    // the addon's registry names the same methods, the steps among them (the harness keeps a static copy)
    const native = loadAddon().addon!.facts().methods;
    expect(native.map((m) => m.name).sort()).toEqual(METHODS.filter((m) => m.backend !== 'peer').map((m) => m.name).sort());
    // the gathers themselves keep their ids: no step axes on them
    expect(methodSpec('zerocopy-aligned')!.axes).not.toContain('step');
  });

  it('sweep 128 B, 1 KB and 4 KB rows, two batches, serial and pipelined, zero-copy at the full and the capped grid', () => {
    const { scenario } = loadScenario('training-step');
    const cases = expand(scenario);
    const count = (m: string) => cases.filter((c) => c.method === m).length;
    expect(count('step-cpu-gather-memcpy')).toBe(3 * 2 * 2);
    expect(count('step-copy-engine-batch')).toBe(12);
    expect(count('step-device-resident')).toBe(12); // the bound, at its full grid only
    for (const m of ['step-zerocopy-aligned', 'step-zerocopy-sorted', 'step-cached-zerocopy']) expect(count(m)).toBe(24);
    expect(new Set(cases.map((c) => c.derived.rowBytes))).toEqual(new Set([128, 1024, 4096]));
    expect(cases.find((c) => c.method === 'step-zerocopy-aligned' && c.values.grid === 40 && c.values.step === 'pipelined')!.id).toMatch(/grid=40 .*step=pipelined hidden=512/);
  });

  it('run a lean selftest of their own around the full matrix of the gather they wrap', () => {
    const cases = selftestCases(['step-zerocopy-aligned']);
    expect(cases).toHaveLength(16);
    expect(new Set(cases.map((c) => c.step))).toEqual(new Set(['serial', 'pipelined']));
    expect(cases.every((c) => c.dtype === 'fp32' && c.vector === 'elem')).toBe(true);
  });

  it('are refused with a reason, not a crash, where no GPU is', async () => {
    const { addon } = loadAddon();
    const table = await addon!.createTable({ rows: 100, rowBytes: 128, alloc: 'malloc', seed: 1 });
    try {
      await expect(addon!.prepare(table, { method: 'step-cpu-gather-memcpy', batch: 16, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1, step: 'pipelined', hidden: 64 })).rejects.toThrow(/CUDA|not in this build|device|driver/i);
    } finally {
      table.release();
    }
  });
});

describe("a step's anatomy", () => {
  it('pipelined: slowdowns beside each other, the shorter part hidden, and the step predicted from the parts', () => {
    const a = stepAnatomy(stepPoint({ gather: 'zerocopy-aligned', step: 'pipelined', width: 256, batch: 65536, stepS: 0.009, gA: 0.005, cA: 0.004, gB: 0.006, cB: 0.0085 }))!;
    expect(a.mode).toBe('pipelined');
    expect(a.gather).toBe('zerocopy-aligned');
    expect(a.gatherSlowdown).toBeCloseTo(1.2, 6);
    expect(a.layerSlowdown).toBeCloseTo(2.125, 6);
    expect(a.overlap).toBeCloseTo((0.005 + 0.004 - 0.009) / 0.004, 6); // nothing hidden: the layer slowed by what the overlap saved
    expect(a.predictedNoInterferenceS).toBeCloseTo(0.005, 9);
    expect(a.predictedWithSlowdownsS).toBeCloseTo(0.0085, 9);
    expect(a.layerGflops).toBeCloseTo((2 * 65536 * 256 * 512) / 0.004 / 1e9, 3);
    expect(a.gpuJPerStep).toBeCloseTo(1.5, 9);
    expect(a.cpuSecondsPerStep).toBeCloseTo(0.002, 9);
  });

  it('a step under its longer part alone counts only beyond the noise of both medians', () => {
    const at = (stepS: number) => stepAnatomy(stepPoint({ gather: 'cpu-gather-memcpy', step: 'pipelined', width: 256, batch: 65536, stepS, gA: 0.01, cA: 0.004 }))!;
    expect(at(0.0101).shorterThanLongerPart).toBe(false);
    expect(at(0.00999).shorterThanLongerPart).toBe(false); // 0.1% under: inside both CIs (±0.2%)
    expect(at(0.0095).shorterThanLongerPart).toBe(true);
  });

  it('serial: the step is the sum of the parts, nothing overlaps', () => {
    const a = stepAnatomy(stepPoint({ gather: 'cpu-gather-memcpy', step: 'serial', width: 32, batch: 16384, stepS: 0.003, gA: 0.002, cA: 0.001 }))!;
    expect(a.overlap).toBe(0);
    expect(a.predictedWithSlowdownsS).toBeCloseTo(0.003, 9);
    expect(a.layerSlowdown).toBe(1);
    expect(stepAnatomy(point('zerocopy-aligned x', [1e-3]))).toBeUndefined();
  });
});

describe('the stored H100 training-step run (docs/runs/h100-training-step)', () => {
  const { run } = loadRun(path.join(packageRoot, 'docs/runs/h100-training-step'));

  it('verified every point, and no pipelined step beat its longer part beyond the noise', () => {
    expect(run.points.length).toBe(108);
    expect(run.points.every((p) => p.status === 'ok' && p.verification?.mode === 'full (GPU)' && p.verification.checkedSamples === p.samples.total.length)).toBe(true);
    const piped = run.points.map(stepAnatomy).filter((a) => a?.mode === 'pipelined');
    expect(piped.length).toBe(54);
    expect(piped.filter((a) => a!.shorterThanLongerPart)).toEqual([]);
  });

  it('answers which path gives the shortest step and what it costs the layer', () => {
    const fs = STEP_FINDINGS.map((f) => f(run)!);
    expect(fs.every(Boolean)).toBe(true);
    expect(fs[0].headline).toMatch(/^From host memory, cached-zerocopy pipelined \(grid 40\) gives the shortest training step at 4 of 6 workloads/);
    expect(fs[1].headline).toMatch(/zerocopy-aligned slows it most: 2\.52-12\.90x/);
    expect(fs[2].headline).toMatch(/a step takes 0\.094-7\.6% of the CPU path's CPU time and 0\.73-2\.19x its GPU energy/);
  });
});

describe('a training-step run report', () => {
  const run = fakeRun(
    [1024, 32].flatMap((width) => [
      stepPoint({ gather: 'cpu-gather-memcpy', step: 'pipelined', width, batch: 65536, stepS: 0.016, gA: 0.015, cA: 0.004, cB: 0.0042 }),
      stepPoint({ gather: 'zerocopy-aligned', step: 'pipelined', width, batch: 65536, stepS: 0.011, gA: 0.0055, cA: 0.004, gB: 0.006, cB: 0.0105 }),
      stepPoint({ gather: 'zerocopy-aligned', step: 'pipelined', width, batch: 65536, grid: 40, stepS: 0.008, gA: 0.0065, cA: 0.004, gB: 0.0075, cB: 0.0048 }),
      stepPoint({ gather: 'copy-engine-batch', step: 'pipelined', width, batch: 65536, stepS: 0.0125, gA: 0.012, cA: 0.004, cB: 0.004 }),
      stepPoint({ gather: 'zerocopy-aligned', step: 'serial', width, batch: 65536, stepS: 0.0095, gA: 0.0055, cA: 0.004 }),
    ]),
    { gpu: 'NVIDIA H200' },
  );

  it('picks the shortest step among the paths from host memory and sets the device-resident bound beside it', () => {
    const withBound = fakeRun([
      stepPoint({ gather: 'cpu-gather-memcpy', step: 'pipelined', width: 256, batch: 65536, stepS: 0.016, gA: 0.015, cA: 0.004 }),
      stepPoint({ gather: 'device-resident', step: 'pipelined', width: 256, batch: 65536, stepS: 0.004, gA: 0.001, cA: 0.004 }),
    ]);
    const f = STEP_FINDINGS[0](withBound)!;
    expect(f.headline).toMatch(/^From host memory, cpu-gather-memcpy pipelined gives the shortest/);
    expect(f.headline).toMatch(/the step is 4\.00x shorter/);
  });

  it('answers which path gives the shortest step and what it costs the layer, each a headline with its number', () => {
    const fs = STEP_FINDINGS.map((f) => f(run)!);
    expect(fs.every(Boolean)).toBe(true);
    const [shortest, cost, speedup, cap, model] = fs;
    expect(shortest.headline).toMatch(/^From host memory, zerocopy-aligned pipelined \(grid 40\) gives the shortest training step at every row size and batch measured \(2 workloads\)/);
    expect(cost.headline).toMatch(/zerocopy-aligned \(full\)|zerocopy-aligned slows it most: 2\.63x/);
    expect(cost.headline).toMatch(/copy-engine-batch least, 1\.00x/);
    expect(speedup.headline).toMatch(/2\.00x as fast as the CPU path \(the papers: training up to 1\.6x faster\)/);
    expect(cap.headline).toMatch(/Capped at grid 40, aligned zero-copy slows the layer 1\.20x instead of 2\.63x at the full grid and makes the step 0\.73x as long/);
    expect(model.headline).toMatch(/0 of 8 steps were shorter than their longer part alone/);
    for (const f of fs) {
      expect(f.headline.length).toBeLessThanOrEqual(HEADLINE_MAX);
      expect(f.detail!.rows.length).toBeGreaterThan(0);
    }
    // in the report's findings, and drawn in the step anatomy chart, but never as gathers' bandwidth
    expect(findings(run).map((f) => f.title)).toContain('The shortest training step');
    expect(runCharts(run).map((c) => c.id)).toContain('step-anatomy');
    expect(chartRows(run)).toEqual([]);
  });

  it('keeps the new phases through the results validator', () => {
    const checked = validateRun(JSON.parse(JSON.stringify(run)), 'r.json');
    expect(checked.points[0].phases!.computeAlone!.median).toBeCloseTo(0.004, 9);
    const bad = JSON.parse(JSON.stringify(run));
    bad.points[0].samples.computeAlone = 'fast';
    expect(() => validateRun(bad, 'r.json')).toThrow(/computeAlone/);
  });
});

describe('the overlap of the shorter part', () => {
  it('is a share from 0 to 100%, and not given where the shorter part is noise of the longer', async () => {
    const { overlapText } = await import('../reports/findings-step.js');
    expect(overlapText({ overlap: 0.4, gatherAloneS: 1e-3, layerAloneS: 2e-3 })).toBe('40%');
    expect(overlapText({ overlap: -3.02, gatherAloneS: 100e-3, layerAloneS: 2e-3 })).toBe('n/a (the shorter part is under 5% of the longer)');
    expect(overlapText({ overlap: 23.35, gatherAloneS: 1e-3, layerAloneS: 0.01e-3 })).toMatch(/^n\/a/);
    expect(overlapText({ overlap: -0.1, gatherAloneS: 1e-3, layerAloneS: 1e-3 })).toBe('none (the parts slowed each other)');
  });
});
