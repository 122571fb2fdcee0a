import type { Chart } from './types.js';
import { speedups } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/** Speedup of each method over the CPU gather baseline, width x batch. */
export function speedupHeatmap(run: RunResults): Chart | undefined {
  const rows = speedups(run);
  if (!rows.length) return undefined;
  // A log colour scale symmetric about 1, so 1x is the neutral middle whatever the range.
  const reach = Math.max(...rows.map((r) => Math.max(r.speedup, 1 / r.speedup)), 1.5);
  const dark = Math.sqrt(reach); // beyond this the cell is dark: its label turns white
  return {
    id: 'speedup-heatmap',
    title: `Speedup over ${rows[0].baseline}`,
    caption:
      `Each cell: the baseline's median time over the method's, at the same width, batch, table, index distribution and GPU count ` +
      `(the best cell where several tables or distributions share one). Above 1 (blue) the method beats the CPU gather path; below 1 (red) it loses; grey: not measured.`,
    spec: {
      data: { values: rows },
      facet: { field: 'series', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 200,
        height: 140,
        encoding: {
          x: { field: 'width', type: 'ordinal', title: 'row width (elements)', axis: { labelAngle: 0 } },
          y: { field: 'batch', type: 'ordinal', title: 'batch', sort: 'descending' },
        },
        layer: [
          {
            mark: 'rect',
            encoding: {
              color: {
                aggregate: 'max', field: 'speedup', type: 'quantitative', title: 'speedup',
                scale: { type: 'log', scheme: 'redblue', domain: [1 / reach, reach], domainMid: 1 },
                legend: { format: '.2~f', values: [1 / reach, 1 / dark, 1, dark, reach].map((x) => +x.toPrecision(2)) },
              },
              tooltip: [{ aggregate: 'max', field: 'speedup', format: '.2f', title: 'speedup' }],
            },
          },
          {
            mark: { type: 'text', fontSize: 10 },
            encoding: {
              text: { aggregate: 'max', field: 'speedup', format: '.1f' },
              color: { condition: { test: `datum.max_speedup > ${dark} || datum.max_speedup < ${1 / dark}`, value: 'white' }, value: 'black' },
            },
          },
        ],
      },
      resolve: { scale: { color: 'shared' } },
      config: { view: { fill: '#d9d9d9', stroke: null } },
    },
  };
}
