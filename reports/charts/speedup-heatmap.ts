import type { Chart } from './types.js';
import { speedups } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/** Speedup of each method over the CPU gather baseline, width x batch. */
export function speedupHeatmap(run: RunResults): Chart | undefined {
  const rows = speedups(run);
  if (!rows.length) return undefined;
  return {
    id: 'speedup-heatmap',
    title: `Speedup over ${rows[0].baseline}`,
    caption:
      `Each cell: the baseline's median time over the method's, at the same width, batch, table and index distribution ` +
      `(the best cell where several tables or distributions share one). Above 1 (blue) the method beats the CPU gather path; below 1 (red) it loses.`,
    spec: {
      data: { values: rows },
      facet: { field: 'series', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 200,
        height: 140,
        encoding: {
          x: { field: 'width', type: 'ordinal', title: 'row width (elements)' },
          y: { field: 'batch', type: 'ordinal', title: 'batch', sort: 'descending' },
        },
        layer: [
          { mark: 'rect', encoding: { color: { aggregate: 'max', field: 'speedup', type: 'quantitative', title: 'speedup', scale: { type: 'log', scheme: 'redblue', domainMid: 1 } }, tooltip: [{ aggregate: 'max', field: 'speedup', format: '.2f', title: 'speedup' }] } },
          { mark: { type: 'text', fontSize: 10 }, encoding: { text: { aggregate: 'max', field: 'speedup', format: '.1f' } } },
        ],
      },
      resolve: { scale: { color: 'shared' } },
    },
  };
}
