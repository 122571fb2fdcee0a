/**
 * The axes a scenario can sweep, each with its schema and the default used
 * when a scenario leaves it out. One place defines what a value may be.
 */
import { z } from 'zod';
import { parseBytes } from '../units.js';

export const DTYPES = { fp32: 4, fp16: 2, bf16: 2, fp64: 8 } as const;
export type Dtype = keyof typeof DTYPES;

const positiveInt = z.number().int('expected a positive integer').positive('expected a positive integer');
const nonNegativeInt = z.number().int('expected a non-negative integer').nonnegative('expected a non-negative integer');

/** A table size: bytes ("256MiB", 1073741824) or a row count ("100000 rows"). */
export const tableSize = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'string') {
    const rows = /^\s*([0-9]+)\s*rows?\s*$/i.exec(v);
    if (rows) {
      const n = Number(rows[1]);
      if (n > 0) return { rows: n };
    }
  }
  const bytes = parseBytes(v);
  if (bytes === undefined || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "256MiB" or "100000 rows", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return { bytes };
});
export type TableSize = { bytes: number; rows?: undefined } | { rows: number; bytes?: undefined };

/** The GPU-side cache of cached-zerocopy: a share of the table's rows (0 to 1), or a size ("2GiB"). */
export const cacheSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (v >= 0 && v <= 1) return { share: v };
    ctx.addIssue({ code: 'custom', message: `expected a share of the table from 0 to 1, or a size like "2GiB", got ${v}` });
    return z.NEVER;
  }
  const bytes = parseBytes(v);
  if (bytes === undefined || bytes < 0) {
    ctx.addIssue({ code: 'custom', message: `expected a share of the table from 0 to 1, or a size like "2GiB", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return { bytes };
});
export type CacheSize = { share: number; bytes?: undefined } | { bytes: number; share?: undefined };

export const distribution = z.union([
  z.enum(['uniform', 'sorted', 'sequential']).transform((kind) => ({ kind })),
  z.object({ kind: z.enum(['uniform', 'sorted', 'sequential']) }).strict(),
  z.object({ kind: z.literal('zipf'), exponent: z.number().positive('expected a positive exponent') }).strict(),
  z.object({
    kind: z.literal('hotset'),
    hotFraction: z.number().gt(0).max(1),
    hotProbability: z.number().min(0).max(1),
  }).strict(),
  // GraphSAGE-style mini-batches: unique nodes of sampled neighbourhoods in an R-MAT power-law graph
  z.object({
    kind: z.literal('rmat'),
    fanouts: z.array(z.number().int().min(1).max(100)).min(1).max(4).default([10, 5]),
    a: z.number().gt(0).lt(1).default(0.57),
    b: z.number().min(0).lt(1).default(0.19),
    c: z.number().min(0).lt(1).default(0.19),
    degree: z.number().min(1).default(4),
  }).strict(),
]);

export const AXES = {
  width: { schema: positiveInt, default: [256], doc: 'row width in elements' },
  dtype: { schema: z.enum(Object.keys(DTYPES) as [Dtype, ...Dtype[]]), default: ['fp32'], doc: 'element type: fp32, fp16, bf16, fp64' },
  batch: { schema: positiveInt, default: [4096], doc: 'indices per gather (rows in the mini-batch)' },
  table: { schema: tableSize, default: ['256MiB'], doc: 'feature table size: bytes ("1GiB") or rows ("100000 rows")' },
  distribution: { schema: distribution, default: ['uniform'], doc: 'index distribution: uniform, sorted, sequential, {kind: zipf, exponent}, {kind: hotset, hotFraction, hotProbability}, {kind: rmat, fanouts: [10, 5]} (GraphSAGE neighbour sampling)' },
  threads: { schema: nonNegativeInt, default: [0], doc: 'CPU threads for CPU gathers (0 = all hardware threads)' },
  alloc: { schema: z.enum(['auto', 'malloc', 'hostalloc', 'register', 'hugepage']), default: ['auto'], doc: 'host table allocation (auto = hostalloc with a GPU, malloc without)' },
  device: { schema: nonNegativeInt, default: [0], doc: 'CUDA device index' },
  mapping: { schema: z.enum(['warp', 'block', 'subwarp']), default: ['warp'], doc: 'threads per row: a warp, a whole block, or (device-resident, uvm) the fewest lanes that cover a row, one vector each' },
  vector: { schema: z.union([z.literal('elem'), z.literal(2), z.literal(4), z.literal(8), z.literal(16)]), default: ['elem'], doc: "bytes per load: 'elem' (the element size, as in the paper), 4, 8 or 16" },
  block: { schema: positiveInt, default: [256], doc: 'CUDA block size' },
  grid: { schema: nonNegativeInt, default: [0], doc: 'CUDA grid size (0 = fill the GPU)' },
  pipeline: { schema: positiveInt, default: [1], doc: 'cpu-gather-memcpy: chunks overlapping gather and copy (1 = none)' },
  uvmAdvise: { schema: z.enum(['none', 'read-mostly', 'prefer-host']), default: ['none'], doc: 'uvm: cudaMemAdvise hint' },
  uvmReset: { schema: z.enum(['point', 'sample']), default: ['point'], doc: "uvm: when the managed table goes back to host memory: at each point's start (samples see the warm-up's migrations), or before every sample (each pays its own)" },
  contention: { schema: nonNegativeInt, default: [0], doc: 'background CPU threads streaming through memory during the point (0 = none)' },
  gpus: { schema: positiveInt, default: [1], doc: 'GPUs gathering at once from one shared host table (devices device .. device+gpus-1)' },
  cache: { schema: cacheSize, default: [0], doc: 'cached-zerocopy: the GPU cache of hot rows, a share of the table (0.05) or a size ("2GiB")' },
  step: { schema: z.enum(['serial', 'pipelined']), default: ['pipelined'], doc: "step-* methods: the gather then the model's layer (serial), or the next batch's gather beside the layer on two streams (pipelined)" },
  hidden: { schema: positiveInt.max(65536), default: [256], doc: "step-* methods: the layer's output width (a batch x width by width x hidden fp32 GEMM with a ReLU)" },
} as const;

export type AxisName = keyof typeof AXES;
export const AXIS_NAMES = Object.keys(AXES) as AxisName[];

export type DistributionValue = z.output<typeof distribution>;

/** The resolved value of every axis at one point of the sweep. */
export interface AxisValues {
  width: number;
  dtype: Dtype;
  batch: number;
  table: TableSize;
  distribution: DistributionValue;
  threads: number;
  alloc: 'auto' | 'malloc' | 'hostalloc' | 'register' | 'hugepage';
  device: number;
  mapping: 'warp' | 'block' | 'subwarp';
  vector: 'elem' | 2 | 4 | 8 | 16;
  block: number;
  grid: number;
  pipeline: number;
  uvmAdvise: 'none' | 'read-mostly' | 'prefer-host';
  uvmReset: 'point' | 'sample';
  contention: number;
  gpus: number;
  cache: CacheSize;
  step: 'serial' | 'pipelined';
  hidden: number;
}

/** A short, stable text for an axis value: used in ids, CSV cells, labels. */
export function axisLabel(name: AxisName, v: unknown): string {
  if (name === 'table') {
    const t = v as TableSize;
    return t.rows !== undefined ? `${t.rows} rows` : formatTableBytes(t.bytes!);
  }
  if (name === 'cache') {
    const c = v as CacheSize;
    return c.bytes !== undefined ? formatTableBytes(c.bytes) : String(c.share);
  }
  if (name === 'distribution') {
    const d = v as DistributionValue;
    if (d.kind === 'zipf') return `zipf(${d.exponent})`;
    if (d.kind === 'hotset') return `hotset(${d.hotFraction},${d.hotProbability})`;
    if (d.kind === 'rmat') return `rmat(${d.fanouts.join('x')})`;
    return d.kind;
  }
  return String(v);
}

function formatTableBytes(b: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (b % size === 0) return `${b / size}${unit}`;
  }
  return `${b}B`;
}
