import type { Chart } from './types.js';
import { seriesScale } from './colors.js';
import { chartRows } from './data.js';
import { methodSpec } from '../../harness/methods.js';
import type { RunResults } from '../../harness/results/model.js';

/** Bandwidth as background CPU threads are added. */
export function contentionChart(run: RunResults): Chart | undefined {
  // Paths that read GPU memory (device-resident) would stretch the axis 30-fold and do not touch the host.
  const rows = chartRows(run).filter((r) => methodSpec(r.method)?.source !== 'gpu-memory');
  if (new Set(rows.map((r) => r.contention)).size < 2) return undefined;
  return {
    id: 'contention',
    title: 'Bandwidth under CPU contention',
    caption:
      'Each method while N background threads stream through memory. A path that needs CPU cores and host memory bandwidth (the CPU gather) ' +
      'slows as they are taken; a path the GPU drives (zero-copy) keeps most of its bandwidth. Device-resident and UVM, which read GPU memory, are in the table.',
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
          detail: { field: 'batch' },
          tooltip: [{ field: 'series' }, { field: 'contention' }, { field: 'batch' }, { field: 'bandwidth', format: '.2f' }],
        },
      },
    },
  };
}
