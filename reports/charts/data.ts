/** Flat rows for charts, and the pairings (speedup over the baseline, aligned over naive) derived from a run. */
import type { PointResult, RunResults } from '../../harness/results/model.js';
import { AXES, axisLabel, type AxisName } from '../../harness/scenario/axes.js';
import { isTrainingStep, methodSpec } from '../../harness/methods.js';
import { ciLabel, hasCi } from '../../harness/stats/ci-label.js';

export interface ChartRow {
  id: string;
  method: string;
  /** the method plus its own variant axes, e.g. "zerocopy-aligned vector=16", and the dtype where a run has several */
  series: string;
  /** the method's own non-default axes alone ('' for its plain form) */
  variant: string;
  width: number;
  batch: number;
  dtype: string;
  table: string;
  tableBytes: number;
  distribution: string;
  contention: number;
  rowBytes: number;
  bandwidth: number;
  ciLow: number;
  ciHigh: number;
  medianUs: number;
  /** the precision label: '±1.2%', or 'CI n/a (3 samples)' where there is no interval */
  ci: string;
  /** false where too few samples gave no confidence interval */
  precise: boolean;
  /** 'peer' for what users run today (PyTorch, DGL), 'gatherbench' for the harness's own paths */
  who: 'gatherbench' | 'peer';
}

/** Axes every method shares: points that agree on these are the same workload. */
export const WORKLOAD_AXES: AxisName[] = ['width', 'dtype', 'batch', 'table', 'distribution', 'contention'];

/** The workload axes whose value differs somewhere among these points. */
export function varyingWorkloadAxes(points: PointResult[]): AxisName[] {
  return WORKLOAD_AXES.filter((a) => new Set(points.map((p) => p.axes[a])).size > 1);
}

export function workloadKey(p: PointResult): string {
  return WORKLOAD_AXES.map((a) => `${a}=${p.axes[a] ?? (a === 'distribution' ? 'contiguous' : '')}`).join(' ');
}

/** Axes labelled at their default too: cached-zerocopy with cache 0 is not a plain form a reader can assume. */
const ALWAYS_LABELLED: string[] = ['cache'];

/** Axes that make a variant of one method (vector, mapping, alloc, threads...), as a label; `except` leaves some out. */
export function variantOf(p: PointResult, except: AxisName[] = []): string {
  return Object.entries(p.axes)
    .filter(([a, v]) => !WORKLOAD_AXES.includes(a as AxisName) && !['device', ...except].includes(a) && (ALWAYS_LABELLED.includes(a) || !isDefault(a as AxisName, v!)))
    .map(([a, v]) => `${a}=${v}`)
    .join(' ');
}

/** An axis at its default value; alloc 'auto' (as a scenario says it) resolves to hostalloc (with a GPU) or malloc. */
function isDefault(a: AxisName, v: string): boolean {
  if (a === 'alloc') return v === 'auto' || v === 'hostalloc' || v === 'malloc';
  return (AXES[a].default as readonly unknown[]).some((d) => axisLabel(a, AXES[a].schema.parse(d)) === v);
}

/** The run's measured gathers (a training step's points have charts and findings of their own: reports/findings-step.ts). */
export function ok(run: RunResults): PointResult[] {
  return run.points.filter((p) => p.status === 'ok' && p.bandwidth && p.stats && !isTrainingStep(p.method));
}

/** A point's series: its method and variant, and its dtype where the run has several (fp16 and bf16 rows of one width are different rows). */
function seriesLabeller(points: PointResult[]): (p: PointResult) => string {
  const dtypes = new Set(points.map((p) => p.axes.dtype)).size > 1;
  return (p) => [p.method, variantOf(p), dtypes ? p.axes.dtype : ''].filter(Boolean).join(' ');
}

export function chartRows(run: RunResults): ChartRow[] {
  const seriesOf = seriesLabeller(ok(run));
  return ok(run).map((p) => ({
    id: p.id,
    method: p.method,
    series: seriesOf(p),
    variant: variantOf(p),
    width: Number(p.axes.width),
    batch: Number(p.axes.batch),
    dtype: p.axes.dtype ?? '',
    table: p.axes.table ?? '',
    tableBytes: p.derived.tableBytes,
    distribution: p.axes.distribution ?? 'contiguous',
    contention: Number(p.axes.contention ?? 0),
    rowBytes: p.derived.rowBytes,
    bandwidth: p.bandwidth!.median,
    ciLow: p.bandwidth!.ciLow,
    ciHigh: p.bandwidth!.ciHigh,
    medianUs: p.stats!.median * 1e6,
    ci: ciLabel(p.stats),
    precise: hasCi(p.stats),
    who: methodSpec(p.method)?.role === 'peer' ? 'peer' : 'gatherbench',
  }));
}

/** The method others are measured against: the CPU gather path of this run. */
export function baselineMethod(run: RunResults): string | undefined {
  return ['cpu-gather-memcpy', 'host-gather-copy'].find((m) => ok(run).some((p) => p.method === m && variantOf(p) === ''));
}

/** The copy ceiling of this run: pinned memcpy with a GPU, host memcpy without. */
export function ceilingMethod(run: RunResults): string | undefined {
  return ['pinned-memcpy', 'host-memcpy'].find((m) => ok(run).some((p) => p.method === m));
}

export interface SpeedupRow extends ChartRow {
  baseline: string;
  /** the baseline's own non-default axes (its allocation), '' for its default form */
  baselineVariant: string;
  speedup: number;
}

/**
 * Each point's speedup over the baseline method on the same work: the same workload and the same GPU count
 * (with gpus=2 every GPU gathers a batch, so a one-GPU baseline did half the work), and the same host
 * allocation where the baseline was measured with it (else its default one). Methods of the baseline's
 * backend only: a host copy is no way to feed a GPU. A point whose GPU count the baseline lacks gets no cell.
 */
export function speedups(run: RunResults): SpeedupRow[] {
  const base = baselineMethod(run);
  if (!base) return [];
  const backend = methodSpec(base)!.backend;
  // the host allocation when it is not the default one, '' otherwise
  const allocOf = (p: PointResult) => (p.axes.alloc && !isDefault('alloc', p.axes.alloc) ? p.axes.alloc : '');
  const sameWork = (p: PointResult, alloc: string) => `${workloadKey(p)} gpus=${p.axes.gpus ?? '1'} alloc=${alloc}`;
  const baseBy = new Map(ok(run).filter((p) => p.method === base && variantOf(p, ['gpus', 'alloc']) === '').map((p) => [sameWork(p, allocOf(p)), p]));
  const rows = chartRows(run);
  return ok(run).flatMap((p, i) => {
    const b = baseBy.get(sameWork(p, allocOf(p))) ?? baseBy.get(sameWork(p, ''));
    const own = methodSpec(p.method)?.backend;
    if (!b || p.method === base || (own !== backend && !(backend === 'cuda' && own === 'peer'))) return [];
    return [{ ...rows[i], baseline: base, baselineVariant: variantOf(b, ['gpus']), speedup: b.stats!.median / p.stats!.median }];
  });
}

export interface AlignmentRow {
  width: number;
  batch: number;
  dtype: string;
  /** bytes per load, 'elem' for element-wide (the paper's mapping) */
  vector: string;
  /** every other axis that varies among the pairs (table, distribution, alloc, vector...): one pair, one label */
  condition: string;
  gain: number;
  aligned: number;
  naive: number;
}

/** zerocopy-aligned over zerocopy-naive, matched on every axis but the method: one row per pair, never aggregated. */
export function alignmentGains(run: RunResults): AlignmentRow[] {
  const key = (p: PointResult) => JSON.stringify(p.axes);
  const naive = new Map(ok(run).filter((p) => p.method === 'zerocopy-naive').map((p) => [key(p), p]));
  const pairs = ok(run).filter((p) => p.method === 'zerocopy-aligned' && naive.has(key(p)));
  const axes = [...new Set(pairs.flatMap((p) => Object.keys(p.axes)))].filter(
    (a) => a !== 'width' && new Set(pairs.map((p) => p.axes[a as AxisName])).size > 1,
  ) as AxisName[];
  return pairs.map((p) => {
    const n = naive.get(key(p))!;
    const condition = axes.map((a) => `${a}=${p.axes[a]}`).join(' ') || 'one condition';
    return { width: Number(p.axes.width), batch: Number(p.axes.batch), dtype: p.axes.dtype ?? '', vector: p.axes.vector ?? 'elem', condition, gain: p.bandwidth!.median / n.bandwidth!.median, aligned: p.bandwidth!.median, naive: n.bandwidth!.median };
  });
}

/** Raw samples for box plots, at most `per` per point (evenly spaced in sorted order, so quartiles survive). */
export function sampleRows(run: RunResults, per = 60): { series: string; point: string; us: number }[] {
  const points = ok(run);
  const varying = varyingWorkloadAxes(points);
  return points.flatMap((p) => {
    const xs = [...p.samples.total].sort((a, b) => a - b);
    const step = Math.max(1, xs.length / per);
    const picked: number[] = [];
    for (let i = 0; i < xs.length; i += step) picked.push(xs[Math.floor(i)]);
    const point = [p.method, ...varying.filter((a) => p.axes[a] !== undefined).map((a) => `${a}=${p.axes[a]}`), variantOf(p)].filter(Boolean).join(' ');
    return picked.map((s) => ({ series: p.method, point, us: s * 1e6 }));
  });
}

export interface TelemetryRow {
  series: string;
  width: number;
  batch: number;
  contention: number;
  cpuSecondsPerGB?: number;
  methodCores?: number;
  systemLoadPct?: number;
  gpuPowerW?: number;
  energyPerGBJ?: number;
  energyAboveIdlePerGBJ?: number;
}

export function telemetryRows(run: RunResults): TelemetryRow[] {
  const seriesOf = seriesLabeller(ok(run));
  return ok(run)
    .filter((p) => p.telemetry)
    .map((p) => ({
      series: seriesOf(p),
      width: Number(p.axes.width),
      batch: Number(p.axes.batch),
      contention: Number(p.axes.contention ?? 0),
      cpuSecondsPerGB: p.telemetry!.cpuSecondsPerGB,
      methodCores: p.telemetry!.methodCores,
      systemLoadPct: p.telemetry!.systemLoadMeanPct,
      gpuPowerW: p.telemetry!.gpu?.powerMeanW,
      energyPerGBJ: p.telemetry!.gpu?.energyPerGBJ,
      energyAboveIdlePerGBJ: p.telemetry!.gpu?.energyAboveIdlePerGBJ,
    }));
}
