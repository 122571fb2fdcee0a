/**
 * Findings of a training-step run (scenarios/training-step.yaml): which path gives the shortest step, what each
 * costs the model's layer, zero-copy's step against the CPU path beside the papers' claim, what GraphBolt's
 * thread cap buys, and how well the step follows from its parts.
 */
import { cpuDrawsBasis } from './cpu-draws.js';
import type { PointResult, RunResults } from '../harness/results/model.js';
import { isTrainingStep, methodSpec } from '../harness/methods.js';
import { stepAnatomy, type StepAnatomy } from '../harness/model/step.js';
import { formatBytes } from '../harness/units.js';
import type { Finding } from './finding.js';
import { f2 } from './format.js';

interface StepPoint {
  p: PointResult;
  a: StepAnatomy;
  /** the workload: row size and batch */
  key: string;
  capped: boolean;
}

export function stepPoints(run: RunResults): StepPoint[] {
  return run.points.flatMap((p) => {
    const a = isTrainingStep(p.method) ? stepAnatomy(p) : undefined;
    return a ? [{ p, a, key: `${formatBytes(p.derived.rowBytes)} rows, batch ${p.axes.batch}`, capped: p.axes.grid !== undefined && p.axes.grid !== '0' }] : [];
  });
}

const ms = (s: number) => `${(s * 1e3).toPrecision(3)} ms`;
const range = (xs: number[]) => (xs.length ? (Math.min(...xs) === Math.max(...xs) ? f2(xs[0]) : `${f2(Math.min(...xs))}-${f2(Math.max(...xs))}`) : 'n/a');
export const stepLabel = (s: StepPoint) => `${s.a.gather} ${s.a.mode}${s.capped ? ` (grid ${s.p.axes.grid})` : ''}`;

/** Workloads in order of row size, then batch. */
function byKey(steps: StepPoint[]): [string, StepPoint[]][] {
  const m = new Map<string, StepPoint[]>();
  for (const s of [...steps].sort((x, y) => x.p.derived.rowBytes - y.p.derived.rowBytes || Number(x.p.axes.batch) - Number(y.p.axes.batch)))
    m.set(s.key, [...(m.get(s.key) ?? []), s]);
  return [...m];
}

const find = (ps: StepPoint[], gather: string, mode: string, capped = false) => ps.find((s) => s.a.gather === gather && s.a.mode === mode && s.capped === capped);

/** The gather reads the table from GPU memory: the step's bound, not a way to fetch from the host. */
const isBound = (s: StepPoint) => methodSpec(s.a.gather)?.role === 'upper-bound';

export function shortestStepFinding(run: RunResults): Finding | undefined {
  const steps = stepPoints(run);
  if (!steps.some((s) => !isBound(s))) return undefined;
  const rows: string[][] = [];
  const winners = new Map<string, string[]>();
  const boundShare: number[] = [];
  for (const [key, ps] of byKey(steps)) {
    const fromHost = ps.filter((s) => !isBound(s));
    if (!fromHost.length) continue;
    const best = fromHost.reduce((x, y) => (y.a.stepS < x.a.stepS ? y : x));
    winners.set(stepLabel(best), [...(winners.get(stepLabel(best)) ?? []), key]);
    const cpu = find(ps, 'cpu-gather-memcpy', 'pipelined');
    const bound = ps.filter(isBound).reduce<StepPoint | undefined>((x, y) => (!x || y.a.stepS < x.a.stepS ? y : x), undefined);
    if (bound) boundShare.push(best.a.stepS / bound.a.stepS);
    const per = (x: number | undefined, f: (v: number) => string) => (x === undefined ? 'n/a' : f(x));
    rows.push([key, `${stepLabel(best)} ${ms(best.a.stepS)}`, cpu ? `${ms(cpu.a.stepS)} (${f2(cpu.a.stepS / best.a.stepS)}x)` : 'n/a',
      bound ? `${ms(bound.a.stepS)} (${f2(best.a.stepS / bound.a.stepS)}x)` : 'n/a',
      per(best.a.gpuJPerStep, (j) => `${f2(j)} J`), per(best.a.cpuSecondsPerStep, (c) => `${(c * 1e3).toPrecision(3)} ms`)]);
  }
  const parts = [...winners].sort((a, b) => b[1].length - a[1].length);
  const [top, where] = parts[0];
  const bound = boundShare.length ? ` With the table in GPU memory (the bound) the step is ${range(boundShare)}x shorter.` : '';
  const headline = parts.length === 1
    ? `From host memory, ${top} gives the shortest training step at every row size and batch measured (${where.length} workloads).${bound}`
    : `From host memory, ${top} gives the shortest training step at ${where.length} of ${rows.length} workloads; elsewhere ${parts.slice(1).map(([l, w]) => `${l} (${w.length})`).join(', ')}.${bound}`;
  return {
    title: 'The shortest training step',
    headline,
    detail: { columns: ['workload', 'shortest step from host memory', 'CPU path pipelined', 'device-resident bound (shortest / bound)', 'GPU energy a step', 'CPU time a step'], rows },
    chart: 'step-anatomy',
  };
}

export function layerCostFinding(run: RunResults): Finding | undefined {
  const piped = stepPoints(run).filter((s) => s.a.mode === 'pipelined');
  if (!piped.length) return undefined;
  const groups = new Map<string, StepPoint[]>();
  for (const s of piped) groups.set(stepLabel(s).replace(' pipelined', ''), [...(groups.get(stepLabel(s).replace(' pipelined', '')) ?? []), s]);
  const rows = [...groups].map(([label, ss]) => ({ label, slow: ss.map((s) => s.a.layerSlowdown), gslow: ss.map((s) => s.a.gatherSlowdown) }))
    .sort((a, b) => Math.max(...b.slow) - Math.max(...a.slow));
  const worst = rows[0], least = rows[rows.length - 1];
  return {
    title: "What each path costs the model's layer",
    headline: `Beside the layer, ${worst.label} slows it most: ${range(worst.slow)}x its time alone; ${least.label} least, ${range(least.slow)}x (pipelined steps).`,
    detail: { columns: ['gather path (pipelined)', 'layer beside it / alone', 'gather beside the layer / alone'], rows: rows.map((r) => [r.label, `${range(r.slow)}x`, `${range(r.gslow)}x`]) },
    chart: 'step-anatomy',
  };
}

/**
 * The papers' claims: PyTorch-Direct's zero-copy made GNN training up to 1.6x faster than the CPU gather path,
 * at 12.4-17.5% less system power. Per step: the speedup, and the CPU time and GPU energy each path spends.
 */
/**
 * The share of the shorter part the overlap hid, where it means something: a ratio over a shorter part of a
 * few percent of the longer one is noise of the longer (it read -302% and 2,335%), and no share lies outside 0-100%.
 */
export function overlapText(a: { overlap: number; gatherAloneS: number; layerAloneS: number }): string {
  const shorter = Math.min(a.gatherAloneS, a.layerAloneS), longer = Math.max(a.gatherAloneS, a.layerAloneS);
  if (!(shorter >= 0.05 * longer)) return 'n/a (the shorter part is under 5% of the longer)';
  if (a.overlap < 0) return 'none (the parts slowed each other)';
  return `${(Math.min(a.overlap, 1) * 100).toFixed(0)}%`;
}

export function stepSpeedupFinding(run: RunResults): Finding | undefined {
  const rows: string[][] = [];
  const ratios: { r: number; key: string }[] = [];
  const cpuShare: number[] = [], energyRatio: number[] = [];
  const perStep = (s: StepPoint) =>
    `${s.a.gpuJPerStep !== undefined ? `${f2(s.a.gpuJPerStep)} J` : 'n/a'}, ${s.a.cpuSecondsPerStep !== undefined ? `${(s.a.cpuSecondsPerStep * 1e3).toPrecision(3)} ms` : 'n/a'}`;
  for (const [key, ps] of byKey(stepPoints(run))) {
    const cpu = find(ps, 'cpu-gather-memcpy', 'pipelined');
    const zcs = ps.filter((s) => s.a.gather === 'zerocopy-aligned' && s.a.mode === 'pipelined');
    if (!cpu || !zcs.length) continue;
    const zc = zcs.reduce((x, y) => (y.a.stepS < x.a.stepS ? y : x));
    ratios.push({ r: cpu.a.stepS / zc.a.stepS, key });
    if (zc.a.cpuSecondsPerStep !== undefined && cpu.a.cpuSecondsPerStep) cpuShare.push(zc.a.cpuSecondsPerStep / cpu.a.cpuSecondsPerStep);
    if (zc.a.gpuJPerStep !== undefined && cpu.a.gpuJPerStep) energyRatio.push(zc.a.gpuJPerStep / cpu.a.gpuJPerStep);
    rows.push([key, ms(cpu.a.stepS), `${ms(zc.a.stepS)}${zc.capped ? ` (grid ${zc.p.axes.grid})` : ''}`, `${f2(cpu.a.stepS / zc.a.stepS)}x`, perStep(cpu), perStep(zc)]);
  }
  if (!ratios.length) return undefined;
  const best = ratios.reduce((x, y) => (y.r > x.r ? y : x));
  const pctRange = (xs: number[]) => `${(Math.min(...xs) * 100).toPrecision(2)}-${(Math.max(...xs) * 100).toPrecision(2)}%`;
  const costs = cpuShare.length
    ? `; a step takes ${pctRange(cpuShare)} of the CPU path's CPU time${energyRatio.length ? ` and ${range(energyRatio)}x its GPU energy` : ''}`
    : '';
  return {
    title: "Zero-copy's training step against the CPU path",
    headline: `Pipelined, aligned zero-copy makes the step ${range(ratios.map((x) => x.r))}x as fast as the CPU path (the papers: training up to 1.6x faster); most at ${best.key}${costs}.`,
    detail: { columns: ['workload', 'CPU path step', 'zero-copy step (better grid)', 'speedup', 'CPU path: GPU energy, CPU time a step', 'zero-copy: GPU energy, CPU time a step'], rows },
    basis: cpuDrawsBasis(run.points.filter((p) => p.method === 'step-cpu-gather-memcpy')),
    chart: 'step-anatomy',
  };
}

export function threadCapFinding(run: RunResults): Finding | undefined {
  const rows: string[][] = [];
  const stepRatio: number[] = [], fullSlow: number[] = [], cappedSlow: number[] = [];
  let grid = '';
  for (const [key, ps] of byKey(stepPoints(run))) {
    for (const gather of ['zerocopy-aligned', 'zerocopy-sorted', 'cached-zerocopy']) {
      const full = find(ps, gather, 'pipelined'), capped = find(ps, gather, 'pipelined', true);
      if (!full || !capped) continue;
      grid = capped.p.axes.grid ?? grid;
      rows.push([`${gather}, ${key}`, `${f2(full.a.layerSlowdown)}x / ${f2(capped.a.layerSlowdown)}x`, `${f2(capped.a.gatherAloneS / full.a.gatherAloneS)}x`, `${f2(capped.a.stepS / full.a.stepS)}x`]);
      if (gather === 'zerocopy-aligned') {
        stepRatio.push(capped.a.stepS / full.a.stepS);
        fullSlow.push(full.a.layerSlowdown);
        cappedSlow.push(capped.a.layerSlowdown);
      }
    }
  }
  if (!rows.length) return undefined;
  const verdict = stepRatio.length ? ` and makes the step ${range(stepRatio)}x as long` : '';
  return {
    title: "GraphBolt's thread cap on the zero-copy gather",
    headline: `Capped at grid ${grid}, aligned zero-copy slows the layer ${range(cappedSlow)}x instead of ${range(fullSlow)}x at the full grid${verdict} (pipelined).`,
    detail: { columns: ['path, workload', 'layer slowdown full / capped', 'gather alone capped / full', 'step capped / full'], rows },
    chart: 'step-anatomy',
  };
}

export function stepModelFinding(run: RunResults): Finding | undefined {
  const piped = stepPoints(run).filter((s) => s.a.mode === 'pipelined');
  if (!piped.length) return undefined;
  const err = (pred: (a: StepAnatomy) => number) => {
    const e = piped.map((s) => Math.abs(pred(s.a) / s.a.stepS - 1)).sort((a, b) => a - b);
    return e[Math.floor(e.length / 2)];
  };
  const quicker = piped.filter((s) => s.a.shorterThanLongerPart);
  const withinNoise = piped.filter((s) => !s.a.shorterThanLongerPart && s.a.stepS < s.a.predictedNoInterferenceS).length;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return {
    title: 'The step from its parts',
    headline: `From its parts alone the pipelined step is predicted within ${pct(err((a) => a.predictedNoInterferenceS))} (median); from the parts beside each other within ${pct(err((a) => a.predictedWithSlowdownsS))}. ${quicker.length} of ${piped.length} steps were shorter than their longer part alone beyond the noise${withinNoise ? ` (${withinNoise} by less, inside both medians' 95% CIs)` : ''}.`,
    detail: {
      columns: ['point', 'step', 'longer part alone', 'longer part beside', 'overlap of the shorter', 'shorter than the longer part alone'],
      rows: piped.map((s) => [`${stepLabel(s)}, ${s.key}`, ms(s.a.stepS), ms(s.a.predictedNoInterferenceS), ms(s.a.predictedWithSlowdownsS), overlapText(s.a),
        s.a.shorterThanLongerPart ? 'yes, beyond the noise' : s.a.stepS < s.a.predictedNoInterferenceS ? 'within the noise' : 'no']),
    },
    chart: 'step-anatomy',
  };
}

export const STEP_FINDINGS = [shortestStepFinding, layerCostFinding, stepSpeedupFinding, threadCapFinding, stepModelFinding];
