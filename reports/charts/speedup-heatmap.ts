import type { Chart } from './types.js';
import { speedups, type SpeedupRow } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/**
 * A heatmap row per measured condition: the batch, and the table, index distribution and contention where
 * the run varies them. Every cell is one measured pair, never the best of several (a best-of hid zero-copy's
 * 0.55x at 128 B rows over 16 GiB behind its 5.7x over 64 MiB).
 */
function conditionLabels(rows: SpeedupRow[]): { label: (r: SpeedupRow) => string; order: (r: SpeedupRow) => number[]; title: string } {
  const varies = (f: (r: SpeedupRow) => unknown) => new Set(rows.map(f)).size > 1;
  const parts: [string, (r: SpeedupRow) => string][] = [];
  if (varies((r) => r.table)) parts.push(['table', (r) => r.table]);
  if (varies((r) => r.distribution)) parts.push(['indices', (r) => r.distribution]);
  if (varies((r) => r.contention)) parts.push(['contention', (r) => `${r.contention} busy threads`]);
  if (varies((r) => r.batch) || !parts.length) parts.push(['batch', (r) => `batch ${r.batch}`]);
  const distributions = [...new Set(rows.map((r) => r.distribution))].sort();
  return {
    label: (r) => parts.map(([, f]) => f(r)).join(' · '),
    order: (r) => [r.tableBytes, distributions.indexOf(r.distribution), r.contention, r.batch],
    title: parts.map(([t]) => t).join(' · '),
  };
}

/** Speedup of each method over the CPU gather baseline: width across, a row per measured condition. */
export function speedupHeatmap(run: RunResults): Chart | undefined {
  const found = speedups(run);
  if (!found.length) return undefined;
  const { label, order, title } = conditionLabels(found);
  const rows = found.map((r) => ({ ...r, condition: label(r) }));
  const conditions = [...new Map(rows.map((r) => [r.condition, order(r)])).entries()]
    .sort(([, a], [, b]) => a.reduce((d, x, i) => d || x - b[i], 0))
    .map(([c]) => c);
  // A log colour scale symmetric about 1, so 1x is the neutral middle whatever the range.
  const reach = Math.max(...rows.map((r) => Math.max(r.speedup, 1 / r.speedup)), 1.5);
  const dark = Math.sqrt(reach); // beyond this the cell is dark: its label turns white
  const allocMatched = rows.some((r) => r.baselineVariant);
  return {
    id: 'speedup-heatmap',
    title: `Speedup over ${rows[0].baseline}`,
    caption:
      `Each cell: the baseline's median time over the method's, at the same width, batch, table, index distribution, contention and GPU count` +
      (allocMatched ? ', with the baseline on the same host allocation where it was measured with it' : '') +
      `. Above 1 (blue) the method beats the CPU gather path; below 1 (red) it loses; grey: not measured.`,
    spec: {
      data: { values: rows },
      facet: { field: 'series', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 200,
        height: { step: 18 },
        encoding: {
          x: { field: 'width', type: 'ordinal', title: 'row width (elements)', axis: { labelAngle: 0 } },
          y: { field: 'condition', type: 'ordinal', title, sort: conditions, axis: { labelLimit: 320 } },
        },
        layer: [
          {
            mark: 'rect',
            encoding: {
              color: {
                field: 'speedup', type: 'quantitative', title: 'speedup',
                scale: { type: 'log', scheme: 'redblue', domain: [1 / reach, reach], domainMid: 1 },
                legend: { format: '.2~f', values: [1 / reach, 1 / dark, 1, dark, reach].map((x) => +x.toPrecision(2)) },
              },
              tooltip: [{ field: 'series', title: 'method' }, { field: 'width' }, { field: 'condition', title }, { field: 'speedup', format: '.2f' }],
            },
          },
          {
            mark: { type: 'text', fontSize: 10 },
            encoding: {
              text: { field: 'speedup', format: '.1f' },
              color: { condition: { test: `datum.speedup > ${dark} || datum.speedup < ${1 / dark}`, value: 'white' }, value: 'black' },
            },
          },
        ],
      },
      resolve: { scale: { color: 'shared', y: 'shared' } },
      config: { view: { fill: '#d9d9d9', stroke: null } },
    },
  };
}
