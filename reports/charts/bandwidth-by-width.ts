import type { Chart } from './types.js';
import type { ChartRow } from './data.js';

/** Effective bandwidth against row width, a line per method, a panel per batch size. */
export function bandwidthByWidth(rows: ChartRow[]): Chart {
  return {
    id: 'bandwidth-by-width',
    title: 'Bandwidth vs row width',
    caption:
      'Useful bytes gathered per second (median, with its 95% CI as a band) against row width. Higher is better; ' +
      'a ceiling method (memcpy) marks what the link or memory allows, and the gap to it is what the gather costs.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: rows },
      facet: { field: 'batch', type: 'ordinal', title: 'batch (indices per gather)' },
      columns: 3,
      spec: {
        width: 260,
        height: 200,
        layer: [
          { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { field: 'ciLow', type: 'quantitative' }, y2: { field: 'ciHigh' } } },
          { mark: { type: 'line', point: true }, encoding: { y: { field: 'bandwidth', type: 'quantitative', title: 'GB/s' } } },
        ],
        encoding: {
          x: { field: 'width', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'row width (elements)' },
          color: { field: 'method', type: 'nominal' },
          detail: { field: 'dtype' },
          tooltip: [
            { field: 'method' }, { field: 'width' }, { field: 'batch' }, { field: 'dtype' }, { field: 'table' },
            { field: 'bandwidth', format: '.2f', title: 'GB/s' }, { field: 'medianUs', format: '.1f', title: 'median µs' },
          ],
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}
