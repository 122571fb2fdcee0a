import type { Chart } from './types.js';
import { seriesScale } from './colors.js';
import { sampleRows } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/** The spread of each point's raw samples. */
export function latencyBoxes(run: RunResults): Chart | undefined {
  const rows = sampleRows(run);
  if (!rows.length) return undefined;
  return {
    id: 'latency',
    title: 'Time per gather: distribution of raw samples',
    caption:
      'Each box: one point\'s samples (quartiles, whiskers to min and max; up to 60 evenly spaced order statistics shown). A long whisker ' +
      'or a wide box means a noisy point: compare medians only where boxes do not overlap. Filter with the selector.',
    spec: {
      data: { values: rows },
      // One method at a time by default: all points at once would be a chart thousands of pixels tall.
      params: [{ name: 'method', value: rows[0].series, bind: { input: 'select', options: ['all', ...new Set(rows.map((r) => r.series))], name: 'method ' } }],
      transform: [{ filter: "method == 'all' || datum.series == method" }],
      width: 480,
      height: { step: 16 },
      mark: { type: 'boxplot', extent: 'min-max', size: 12, median: { color: 'black' } },
      encoding: {
        y: { field: 'point', type: 'nominal', title: null, sort: null, axis: { labelLimit: 640 } },
        x: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'time per gather (µs)' },
        color: { field: 'series', type: 'nominal', title: 'method', legend: { orient: 'top', labelLimit: 400 }, scale: seriesScale(run, rows.map((r) => r.series)) },
      },
    },
  };
}
