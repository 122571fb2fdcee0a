/**
 * The correctness matrix every method must pass: widths around warp and
 * 128-byte boundaries, every element type, batches of 1, 7 and 4096, random
 * indices with duplicates and a wrapping sweep over the whole table (first
 * and last row, and so every row start offset modulo 128 bytes).
 */
import { DTYPES, type Dtype } from '../scenario/axes.js';
import { nativeFacts } from '../native/facts.js';
import { rowStartOffsets } from '../model/access.js';
import { isTrainingStep } from '../methods.js';

export const WIDTHS = [1, 3, 31, 32, 33, 100, 128, 1000, 1024];
export const BATCHES = [1, 7, 4096];
/** Fewer rows than the largest batch: the sweep wraps, covering every row and repeating some. */
export const TABLE_ROWS = 3000;
export const VECTORS = ['elem', 4, 8, 16] as const;
export const MAPPINGS = ['warp', 'block', 'subwarp'] as const;

export interface SelftestCase {
  method: string;
  width: number;
  dtype: Dtype;
  batch: number;
  distribution: 'uniform' | 'sequential';
  vector: (typeof VECTORS)[number];
  mapping: (typeof MAPPINGS)[number];
  uvmAdvise: 'none' | 'read-mostly' | 'prefer-host';
  /** step-* methods */
  step?: 'serial' | 'pipelined';
  /**
   * copy-dropped: the bench's table copy is dropped from its table after its first run, and another table's
   * copy made where it may land on the freed memory; the bench must still read its own copy (verified).
   */
  lifecycle?: 'copy-dropped';
  /** cached-zerocopy: the share of the table cached (default CACHE_SHARE) */
  cache?: number;
  /** a table of its own size (default TABLE_ROWS) */
  tableRows?: number;
}

/** cached-zerocopy's share in the matrix: a cache that holds some rows and misses others, so both paths of the kernel are checked. */
export const CACHE_SHARE = 0.3;

/** Methods that run the gather kernel (vector and mapping variants apply), from the addon. */
const kernelMethods = () => new Set(nativeFacts().methods.filter((m) => m.kernel).map((m) => m.name));

/**
 * A training step verifies the output of the gather it wraps (the full matrix runs on that method): its own
 * cases check the step around it, serial and pipelined, at rows the layer reads as fp32.
 */
function stepCases(method: string): SelftestCase[] {
  return [32, 33, 256, 1000].flatMap((width) =>
    [7, 4096].flatMap((batch) =>
      (['serial', 'pipelined'] as const).map((step) => ({ method, width, dtype: 'fp32' as const, batch, distribution: 'uniform' as const, vector: 'elem' as const, mapping: 'warp' as const, uvmAdvise: 'none' as const, step })),
    ),
  );
}

/** A method that reads a copy of the table it makes (device or managed memory) gets one case of that copy's lifetime. */
function copyCases(method: string, source: string | undefined): SelftestCase[] {
  if (source !== 'device-copy' && source !== 'managed-copy') return [];
  return [{ method, width: 64, dtype: 'fp32', batch: 4096, distribution: 'uniform', vector: 'elem', mapping: 'warp', uvmAdvise: 'none', lifecycle: 'copy-dropped' }];
}

/**
 * The cache built at scale: 4 KB rows, a 1 GiB table and batches of 65536 as feature-cache runs them, at
 * shares whose row lists take megabytes to upload. Its fill once read row ids still on their way (#34): the
 * build's check of every cached byte fails such a case.
 */
function cacheBuildCases(method: string): SelftestCase[] {
  if (method !== 'cached-zerocopy') return [];
  return [0.1, 0.2, 0.3, 0.5].map((cache) => ({ method, width: 1024, dtype: 'fp32' as const, batch: 65536, distribution: 'uniform' as const, vector: 'elem' as const, mapping: 'warp' as const, uvmAdvise: 'none' as const, cache, tableRows: 262144 }));
}

export function selftestCases(methods: string[]): SelftestCase[] {
  const out: SelftestCase[] = [];
  const facts = nativeFacts();
  for (const method of methods) {
    out.push(...copyCases(method, facts.methods.find((m) => m.name === method)?.source));
    out.push(...cacheBuildCases(method));
    if (isTrainingStep(method)) {
      out.push(...stepCases(method));
      continue;
    }
    const kernel = kernelMethods().has(method);
    const contiguous = facts.methods.find((m) => m.name === method)?.contiguous ?? false;
    const dists = contiguous ? (['sequential'] as const) : (['uniform', 'sequential'] as const);
    // A contiguous copy cannot run past the table: its largest batch is the whole table.
    const batches = contiguous ? BATCHES.map((b) => Math.min(b, TABLE_ROWS)) : BATCHES;
    for (const dtype of Object.keys(DTYPES) as Dtype[])
      for (const width of WIDTHS)
        for (const batch of batches)
          for (const distribution of dists)
            for (const vector of kernel ? VECTORS : (['elem'] as const))
              for (const mapping of kernel ? MAPPINGS : (['warp'] as const))
                for (const uvmAdvise of method === 'uvm' ? (['none', 'read-mostly', 'prefer-host'] as const) : (['none'] as const)) {
                  // UVM hints do not change the kernel: one variant set is enough for them.
                  if (method === 'uvm' && uvmAdvise !== 'none' && (vector !== 'elem' || mapping !== 'warp')) continue;
                  out.push({ method, width, dtype, batch, distribution, vector, mapping, uvmAdvise });
                }
  }
  return out;
}

/** Why the kernel cannot run a case (the native layer must agree), or undefined. */
export function expectedUnsupported(c: SelftestCase): string | undefined {
  if (!kernelMethods().has(c.method)) return undefined;
  const elem = DTYPES[c.dtype];
  if (c.mapping === 'subwarp') {
    if (c.method !== 'device-resident' && c.method !== 'uvm') return 'subwarp is for gathers from GPU memory';
    const v = c.vector === 'elem' ? elem : c.vector;
    if (c.vector !== 'elem' && (c.vector < elem || c.vector % elem !== 0)) return 'vector narrower than an element';
    if ((c.width * elem) % v !== 0) return 'row not a multiple of the vector';
    return undefined;
  }
  if (c.vector === 'elem') return undefined;
  if (c.vector < elem || c.vector % elem !== 0) return 'vector narrower than an element';
  if (c.method === 'zerocopy-naive' && (c.width * elem) % c.vector !== 0) return 'row not a multiple of the vector';
  return undefined;
}

/** Row start offsets modulo 128 B that a full sweep of the table visits, against all possible ones. */
export function offsetsCovered(rowBytes: number): { seen: number; possible: number } {
  const seen = new Set<number>();
  for (let r = 0; r < TABLE_ROWS; r++) seen.add((r * rowBytes) % 128);
  return { seen: seen.size, possible: rowStartOffsets(rowBytes).length };
}
