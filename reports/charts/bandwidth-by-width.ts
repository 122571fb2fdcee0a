import type { Chart } from './types.js';
import { seriesScale } from './colors.js';
import { ceilingMethod, chartRows } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/** Effective bandwidth against row width, a line per method, a panel per batch (and per table size when swept). */
export function bandwidthByWidth(run: RunResults): Chart | undefined {
  const rows = chartRows(run);
  if (!rows.length) return undefined;
  const ceiling = ceilingMethod(run);
  const tables = new Set(rows.map((r) => r.table)).size;
  return {
    id: 'bandwidth-by-width',
    title: 'Bandwidth vs row width',
    caption:
      'Useful bytes gathered per second (median; band: 95% CI) against row width, log scales. ' +
      (ceiling ? `The dashed rule is the best ${ceiling} in the panel: what the link allows. ` : '') +
      'The gap between a gather line and the rule is what gathering costs; lines that meet it saturate the link.',
    spec: {
      data: { values: rows },
      facet: { column: { field: 'batch', type: 'ordinal', title: 'batch (indices per gather)' }, ...(tables > 1 ? { row: { field: 'table', type: 'ordinal', title: 'table' } } : {}) },
      spec: {
        width: 280,
        height: 300,
        layer: [
          { mark: { type: 'area', opacity: 0.15, color: '#666' }, encoding: { x: { field: 'width', type: 'quantitative' }, y: { field: 'ciLow', type: 'quantitative' }, y2: { field: 'ciHigh' }, detail: { field: 'label' } } },
          {
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'width', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'row width (elements)' },
              y: { field: 'bandwidth', type: 'quantitative', scale: { type: 'log' }, title: 'GB/s' },
              color: { field: 'series', type: 'nominal', title: 'method', scale: seriesScale(run, rows.map((r) => r.series)) },
              detail: { field: 'label' },
              tooltip: [{ field: 'series', title: 'method' }, { field: 'width' }, { field: 'batch' }, { field: 'dtype' }, { field: 'table' }, { field: 'distribution' }, { field: 'contention' }, { field: 'bandwidth', format: '.2f', title: 'GB/s' }, { field: 'medianUs', format: '.1f', title: 'median µs' }],
            },
          },
          ...(ceiling
            ? [{ transform: [{ filter: { field: 'method', equal: ceiling } }, { aggregate: [{ op: 'max', field: 'bandwidth', as: 'ceiling' }] }], mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { y: { field: 'ceiling', type: 'quantitative' } } }]
            : []),
        ],
      },
      resolve: { scale: { y: 'shared' } },
      transform: [{ calculate: "datum.series + ' ' + datum.dtype + ' ' + datum.distribution + ' c' + datum.contention + ' ' + datum.table", as: 'label' }],
    },
  };
}
