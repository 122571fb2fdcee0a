/**
 * results.json read back (report, compare, baseline save, history append) is
 * checked as strictly as a scenario: a hand-edited or truncated file is
 * refused with the path and the reason, never turned into a chart or a
 * verdict.
 */
import { z } from 'zod';
import { UserError } from '../errors.js';
import { formatIssue } from '../scenario/load.js';
import { PHASES, RESULTS_SCHEMA, type RunResults } from './model.js';
import { TIMING_PARTS } from './timing.js';
import { AXES, axisLabel, type AxisName } from '../scenario/axes.js';

const positive = z.number().refine((x) => Number.isFinite(x) && x > 0, 'expected a positive number');
const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const nonneg = z.number().refine((x) => Number.isFinite(x) && x >= 0, 'expected a number of at least 0');
// JSON has no NaN: a phase a method does not time (NaN in memory) is stored as null
const maybe = finite.nullable();
const strings = z.record(z.string(), z.string());
const numbers = z.record(z.string(), finite);
/** A timing object: the wall time and the timed part the printers need, the other parts where the run recorded them. */
const timing = z.looseObject(Object.fromEntries([['wallSeconds', nonneg], ...TIMING_PARTS.map((p) => [`${p}Seconds`, p === 'timed' ? nonneg : nonneg.optional()])]));

const summary = z.looseObject({
  n: z.number().int().positive(),
  median: positive,
  mean: positive,
  min: positive,
  max: positive,
  ciLow: finite,
  ciHigh: finite,
  // null: too few samples for an interval (JSON has no Infinity)
  relCi: z.number().nonnegative().nullable(),
  p5: finite.optional(),
  p95: finite.optional(),
  stddev: nonneg.optional(),
});

/** A point's telemetry window, as the reports read it. */
const telemetry = z.looseObject({
  windowSeconds: nonneg,
  iterations: nonneg,
  busySeconds: nonneg.optional(),
  gatheredGB: nonneg,
  methodCpuSeconds: nonneg,
  methodCores: nonneg,
  cpuSecondsPerGB: nonneg,
  processCpuSeconds: nonneg,
  systemLoadMeanPct: finite.optional(),
  systemLoadMaxPct: finite.optional(),
  perCoreMeanPct: z.array(finite).optional(),
  gpu: z.looseObject({ throttle: z.array(z.string()).optional() }).catchall(z.union([finite, z.array(z.string()), z.string()])).optional(),
  cpuPackage: z.looseObject({ energyJ: finite, energyPerGBJ: finite }).catchall(finite).optional(),
  dram: z.looseObject({ energyJ: finite, energyPerGBJ: finite }).optional(),
  contention: z.looseObject({ threads: nonneg, GBps: finite }).optional(),
  unavailable: strings,
});

/** Axes whose labels are counts (the model and the charts read them as numbers). */
const COUNTS = ['batch', 'threads', 'device', 'block', 'grid', 'pipeline', 'contention', 'gpus'];

const point = z
  .looseObject({
    id: z.string().min(1),
    method: z.string().min(1),
    status: z.enum(['ok', 'failed', 'skipped']),
    axes: z.record(z.string(), z.string()),
    derived: z.looseObject({ elemBytes: positive, rowBytes: positive, tableRows: z.number().int().nonnegative(), tableBytes: nonneg.optional(), usefulBytes: positive }),
    device: z.string(),
    reason: z.string().optional(),
    samples: z.looseObject({ total: z.array(positive), ...Object.fromEntries(PHASES.map((k) => [k, z.array(maybe).optional()])) }),
    stats: summary.optional(),
    phases: z.looseObject(Object.fromEntries(PHASES.map((k) => [k, summary.optional()]))).optional(),
    bandwidth: z.looseObject({ median: positive, ciLow: finite, ciHigh: finite }).optional(),
    rowsPerSecond: finite.optional(),
    details: strings,
    verification: z.looseObject({ mode: z.string(), rowsVerified: nonneg, badRow: finite.optional(), checkedSamples: nonneg.optional() }).optional(),
    stop: z.looseObject({ reason: z.string(), samples: nonneg, seconds: nonneg }).optional(),
    telemetry: telemetry.optional(),
    launch: z.looseObject({ ungatedUs: maybe, gatedUs: maybe }).optional(),
    timing: timing.optional(),
    host: z.looseObject({ stealPct: finite.optional(), throttledMs: finite.optional() }).optional(),
  })
  .superRefine((p, ctx) => {
    for (const [a, v] of Object.entries(p.axes)) {
      if (!(a in AXES)) ctx.addIssue({ code: 'custom', path: ['axes', a], message: 'not an axis of gatherbench' });
      else if (COUNTS.includes(a) && !/^\d+$/.test(v)) ctx.addIssue({ code: 'custom', path: ['axes', a], message: `expected a whole number, got ${JSON.stringify(v)}` });
    }
    if (p.axes.width !== undefined && !/^[1-9]\d*$/.test(p.axes.width)) ctx.addIssue({ code: 'custom', path: ['axes', 'width'], message: `expected a positive integer, got ${JSON.stringify(p.axes.width)}` });
    if (p.status !== 'ok') return;
    if (!p.stats) ctx.addIssue({ code: 'custom', path: ['stats'], message: 'an ok point needs its statistics' });
    if (!p.bandwidth) ctx.addIssue({ code: 'custom', path: ['bandwidth'], message: 'an ok point needs its bandwidth' });
    if (p.samples.total.length === 0) ctx.addIssue({ code: 'custom', path: ['samples', 'total'], message: 'an ok point needs its samples' });
    else if (p.stats && p.stats.n !== p.samples.total.length) ctx.addIssue({ code: 'custom', path: ['stats', 'n'], message: `says ${p.stats.n} samples, but ${p.samples.total.length} are stored` });
  });

/** A resolved axis value is one the printers can label (a table size as bytes or rows, a distribution as its kind). */
function labels(a: string, v: unknown): boolean {
  if (!(a in AXES) || v === null || v === undefined) return false;
  try {
    return typeof axisLabel(a as AxisName, v as never) === 'string';
  } catch {
    return false;
  }
}

const runSchema = z.looseObject({
  schema: z.literal(RESULTS_SCHEMA),
  tool: z.looseObject({ name: z.literal('gatherbench'), version: z.string() }),
  scenario: z.looseObject({
    name: z.string(),
    description: z.string(),
    seed: z.number().int().nonnegative().optional(),
    axes: z
      .record(z.string(), z.array(z.unknown()))
      .superRefine((axes, ctx) => {
        for (const [a, vs] of Object.entries(axes))
          vs.forEach((v, i) => labels(a, v) || ctx.addIssue({ code: 'custom', path: [a, i], message: `not a value of axis ${a}: ${JSON.stringify(v)}` }));
      }),
    sampling: z.looseObject({ flush: z.boolean().optional() }),
    telemetry: z.looseObject({}),
  }),
  backend: z.string(),
  hostOnly: z.boolean().optional(),
  status: z.enum(['running', 'complete', 'interrupted']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  environment: z.looseObject({
    host: z.looseObject({ hostname: z.string(), os: z.string(), kernel: z.string(), arch: z.string(), virtualization: z.string() }),
    cpu: z.looseObject({ model: z.string(), cores: nonneg, physicalCores: nonneg, sockets: nonneg, numaNodes: nonneg }),
    memory: z.looseObject({ total: nonneg, available: nonneg }),
    node: z.string(),
    addon: z.looseObject({}),
    gitCommit: z.string(),
    cuda: z.looseObject({ devices: z.array(z.looseObject({ name: z.string(), uuid: z.string().optional(), computeCapability: z.string(), sms: nonneg, totalMemory: nonneg, pciBusId: z.string() })) }).optional(),
  }),
  telemetry: z
    .looseObject({
      intervalMs: nonneg,
      windowSeconds: nonneg,
      tickLatencyMs: finite.optional(),
      tickCpuMs: finite.optional(),
      overheadPct: finite.optional(),
      sources: strings,
      gpus: z.array(z.looseObject({ uuid: z.string(), name: z.string(), cudaIndex: nonneg }).catchall(z.union([finite, z.string()]))),
      idle: z.looseObject({ seconds: nonneg, cpuLoadPct: finite.optional(), gpuPowerW: numbers, cpuPackageW: finite.optional() }).optional(),
    })
    .optional(),
  warnings: z.array(z.string()).optional(),
  plannedPoints: nonneg.optional(),
  timing: timing.optional(),
  unavailable: z.array(z.looseObject({ method: z.string(), reason: z.string() })),
  points: z.array(point),
});

export function validateRun(data: unknown, shown: string): RunResults {
  const r = runSchema.safeParse(data, { reportInput: true });
  if (!r.success) throw new UserError(`${shown}: ${formatIssue(r.error.issues)}`);
  return r.data as unknown as RunResults;
}
