/** Runs the correctness matrix through the addon: every case verified against the host table. */
import { nativeErrorCode, type Addon, type NativeBench, type NativeTable, type PrepareOptions } from '../native/addon.js';
import { DTYPES } from '../scenario/axes.js';
import { gatherOf } from '../methods.js';
import { CACHE_SHARE, TABLE_ROWS, expectedUnsupported, selftestCases, type SelftestCase } from './matrix.js';

export type SelftestStatus = 'pass' | 'fail' | 'n/a';

export interface SelftestOutcome {
  case: SelftestCase;
  status: SelftestStatus;
  detail?: string;
}

export function describeCase(c: SelftestCase): string {
  const variant = c.vector !== 'elem' || c.mapping !== 'warp' ? ` vector=${c.vector} mapping=${c.mapping}` : '';
  const advise = c.uvmAdvise !== 'none' ? ` advise=${c.uvmAdvise}` : '';
  const step = c.step ? ` step=${c.step}` : '';
  const life = c.lifecycle ? ' (its table copy dropped under the live bench, another copy made)' : '';
  const cache = c.cache !== undefined ? ` cache=${c.cache}` : '';
  const rows = c.tableRows !== undefined ? ` table=${c.tableRows} rows` : '';
  return `${c.method} ${c.dtype} width=${c.width} batch=${c.batch} ${c.distribution}${variant}${advise}${step}${cache}${rows}${life}`;
}

/** A case's bench, its index sets drawn from `seed`. */
function benchOptions(c: SelftestCase, device: number, seed: number): PrepareOptions {
  return {
    method: c.method, batch: c.batch, elemBytes: DTYPES[c.dtype], distribution: { kind: c.distribution }, seed,
    device, mapping: c.mapping, vectorBytes: c.vector === 'elem' ? 0 : c.vector, uvmAdvise: c.uvmAdvise, threads: 0,
    ...(gatherOf(c.method) === 'cached-zerocopy' ? { cacheShare: c.cache ?? CACHE_SHARE } : {}),
    ...(c.step ? { step: c.step, hidden: 64 } : {}),
  };
}

async function runOne(addon: Addon, table: NativeTable, c: SelftestCase, device: number): Promise<SelftestOutcome> {
  const expected = expectedUnsupported(c);
  let bench;
  try {
    bench = await addon.prepare(table, benchOptions(c, device, 7));
  } catch (e) {
    const code = nativeErrorCode(e);
    if (code === 'UNSUPPORTED' && expected) return { case: c, status: 'n/a', detail: expected };
    return { case: c, status: 'fail', detail: `prepare: ${code ?? ''} ${(e as Error).message}` };
  }
  try {
    if (expected) return { case: c, status: 'fail', detail: `ran although expected unsupported (${expected})` };
    const r = await bench.run({ firstSample: 0, samples: 2, warmup: 1 });
    if (!r.verification.ok) return { case: c, status: 'fail', detail: r.verification.detail };
    if (r.total.length !== 2 || ![...r.total].every((t) => t > 0)) return { case: c, status: 'fail', detail: `bad timings ${[...r.total]}` };
    if (c.lifecycle === 'copy-dropped') return await afterCopyDropped(addon, table, bench, c, device);
    return { case: c, status: 'pass' };
  } catch (e) {
    return { case: c, status: 'fail', detail: `run: ${(e as Error).message}` };
  } finally {
    bench.close();
  }
}

/**
 * The bench's table copy is dropped from its table, then another table of the same size makes its own copy,
 * which the allocator may place where the dropped one was: a bench that read a freed copy would read the other
 * table's rows there and fail its checksums. It must read the copy it holds.
 */
async function afterCopyDropped(addon: Addon, table: NativeTable, bench: NativeBench, c: SelftestCase, device: number): Promise<SelftestOutcome> {
  table.dropCopies();
  const other = await addon.createTable({ rows: TABLE_ROWS, rowBytes: c.width * DTYPES[c.dtype], alloc: 'malloc', seed: 99 });
  try {
    const rival = await addon.prepare(other, benchOptions(c, device, 8));
    try {
      const theirs = await rival.run({ firstSample: 0, samples: 1, warmup: 0 });
      if (!theirs.verification.ok) return { case: c, status: 'fail', detail: `the other table's bench: ${theirs.verification.detail}` };
      const r = await bench.run({ firstSample: 2, samples: 2, warmup: 0 });
      if (!r.verification.ok) return { case: c, status: 'fail', detail: `after its copy was dropped: ${r.verification.detail}` };
      return { case: c, status: 'pass' };
    } finally {
      rival.close();
    }
  } finally {
    other.release();
  }
}

export async function runSelftest(
  addon: Addon,
  o: { methods: string[]; device?: number; alloc?: 'malloc' | 'hostalloc'; onOutcome?: (x: SelftestOutcome) => void },
): Promise<SelftestOutcome[]> {
  const cases = selftestCases(o.methods);
  const byTable = new Map<string, SelftestCase[]>();
  for (const c of cases) {
    const k = `${c.width}x${DTYPES[c.dtype]}x${c.tableRows ?? TABLE_ROWS}`;
    byTable.set(k, [...(byTable.get(k) ?? []), c]);
  }
  const outcomes: SelftestOutcome[] = [];
  for (const group of byTable.values()) {
    const rowBytes = group[0].width * DTYPES[group[0].dtype];
    const table = await addon.createTable({ rows: group[0].tableRows ?? TABLE_ROWS, rowBytes, alloc: o.alloc ?? 'malloc', seed: rowBytes });
    try {
      for (const c of group) {
        const x = await runOne(addon, table, c, o.device ?? 0);
        outcomes.push(x);
        o.onOutcome?.(x);
      }
    } finally {
      table.release();
    }
  }
  return outcomes;
}
