import type { Chart } from './types.js';
import { chartRows } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/** Bandwidth against table size per row width: the address-translation cliff. */
export function tableSizeSweep(run: RunResults): Chart | undefined {
  // the sweep itself: default variants, uniform indices, no contention
  const rows = chartRows(run).filter((r) => r.variant === '' && ['uniform', 'contiguous'].includes(r.distribution) && r.contention === 0);
  if (new Set(rows.map((r) => r.table)).size < 2) return undefined;
  return {
    id: 'table-size',
    title: 'Bandwidth vs table size',
    caption:
      'Random gathers over ever larger tables. Where a line falls off, the table has outgrown what the GPU can translate without ' +
      'page-table walks (TLB reach): small rows suffer first, since each row costs a translation and moves few bytes.',
    spec: {
      data: { values: rows.map((r) => ({ ...r, tableGiB: r.tableBytes / 2 ** 30 })) },
      facet: { field: 'series', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 220,
        height: 180,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'tableGiB', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'table (GiB)' },
          y: { field: 'bandwidth', type: 'quantitative', scale: { type: 'log' }, title: 'GB/s' },
          color: { field: 'rowBytes', type: 'ordinal', title: 'row bytes' },
          detail: { field: 'batch' },
          tooltip: [{ field: 'series' }, { field: 'rowBytes' }, { field: 'batch' }, { field: 'table' }, { field: 'bandwidth', format: '.2f' }],
        },
      },
    },
  };
}
