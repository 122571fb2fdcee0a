import type { Chart } from './types.js';
import { seriesScale } from './colors.js';
import { chartRows } from './data.js';
import { methodSpec } from '../../harness/methods.js';
import type { RunResults } from '../../harness/results/model.js';

/** Bandwidth as background CPU threads are added. */
export function contentionChart(run: RunResults): Chart | undefined {
  // Paths that read GPU memory (device-resident) would stretch the axis 30-fold and do not touch the host.
  const all = chartRows(run).filter((r) => methodSpec(r.method)?.source !== 'gpu-memory');
  // A line per series and workload that was measured at several contention levels; points measured only
  // without contention (other tables, distributions, allocations) would draw vertical bars at zero.
  const lineOf = (r: (typeof all)[number]) => `${r.series} | width ${r.width} batch ${r.batch} ${r.dtype} ${r.table} ${r.distribution}`;
  const levels = new Map<string, Set<number>>();
  for (const r of all) levels.set(lineOf(r), (levels.get(lineOf(r)) ?? new Set()).add(r.contention));
  const rows = all.filter((r) => levels.get(lineOf(r))!.size > 1).map((r) => ({ ...r, line: lineOf(r) }));
  if (!rows.length) return undefined;
  return {
    id: 'contention',
    title: 'Bandwidth under CPU contention',
    caption:
      'Each method while N background threads stream through memory. A path that needs CPU cores and host memory bandwidth (the CPU gather) ' +
      'slows as they are taken; a path the GPU drives (zero-copy) keeps most of its bandwidth. Only workloads measured at several contention levels are drawn; ' +
      'device-resident and UVM, which read GPU memory, are in the table.',
    spec: {
      data: { values: rows },
      facet: { field: 'width', type: 'ordinal', title: 'row width (elements)' },
      spec: {
        width: 240,
        height: 180,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'contention', type: 'quantitative', title: 'background threads' },
          y: { field: 'bandwidth', type: 'quantitative', title: 'GB/s' },
          color: { field: 'series', type: 'nominal', title: 'method', scale: seriesScale(run, rows.map((r) => r.series)) },
          detail: { field: 'line' },
          tooltip: [{ field: 'series' }, { field: 'contention' }, { field: 'batch' }, { field: 'table' }, { field: 'distribution' }, { field: 'bandwidth', format: '.2f' }],
        },
      },
    },
  };
}
