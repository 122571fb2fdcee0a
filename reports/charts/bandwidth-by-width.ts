import type { Chart } from './types.js';
import { ceilingMethod, chartRows, type ChartRow } from './data.js';
import { seriesScale } from './colors.js';
import { methodSpec } from '../../harness/methods.js';
import type { RunResults } from '../../harness/results/model.js';

/**
 * The rows a bandwidth chart shows: in a GPU run the GPU paths (host-only
 * copies are no way to feed a GPU, and their own ceiling lies elsewhere), and
 * without contention where the run sweeps it (the contention chart shows that).
 */
export function gpuPathRows(run: RunResults): ChartRow[] {
  let rows = chartRows(run);
  // the GPU paths: gatherbench's CUDA methods and the peers (PyTorch, DGL)
  if (rows.some((r) => methodSpec(r.method)?.backend === 'cuda')) rows = rows.filter((r) => methodSpec(r.method)?.backend !== 'host');
  if (new Set(rows.map((r) => r.contention)).size > 1) rows = rows.filter((r) => r.contention === 0);
  return rows;
}

/** The index distributions of the gathers (the copy ceiling's contiguous rows are not one to tell apart). */
function gathered(rows: ChartRow[]): Set<string> {
  return new Set(rows.filter((r) => r.distribution !== 'contiguous').map((r) => r.distribution));
}

/** Line dashes by index distribution: uniform (and the contiguous copies) solid, the others dashed. */
function dashScale(rows: ChartRow[]) {
  const present = new Set(rows.map((r) => r.distribution));
  const plain = ['uniform', 'contiguous'].filter((d) => present.has(d));
  const others = [...present].filter((d) => d !== 'uniform' && d !== 'contiguous').sort();
  const dashes = [[6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4], [4, 2, 1, 2]];
  return { domain: [...plain, ...others], range: [...plain.map(() => [1, 0]), ...others.map((_, i) => dashes[i % dashes.length])] };
}

/** The distribution as line dashes, with a legend that draws the dashes (a point legend would show one dot for all). */
function dashEncoding(rows: ChartRow[]) {
  return { field: 'distribution', type: 'nominal', title: 'indices', scale: dashScale(rows), legend: { symbolType: 'stroke', symbolSize: 500, encode: { symbols: { update: { stroke: { value: '#333' }, strokeWidth: { value: 2 }, fill: { value: 'transparent' } } } } } };
}

/**
 * Row size in bytes on a log axis, labelled B / KiB / MiB: rows of different dtypes (fp16 KV blocks beside fp32
 * features) and widths compare on one axis, and the findings speak in bytes too.
 */
const ROW_SIZE_AXIS = {
  field: 'rowBytes',
  type: 'quantitative',
  scale: { type: 'log', base: 2 },
  title: 'row size',
  axis: { labelExpr: "datum.value >= 1048576 ? format(datum.value / 1048576, '~g') + ' MiB' : datum.value >= 1024 ? format(datum.value / 1024, '~g') + ' KiB' : datum.value + ' B'", labelOverlap: 'greedy' },
};

/** What users run today (PyTorch, DGL) drawn apart from gatherbench's own paths: triangles, where a run has peers. */
function peerShape(rows: ChartRow[]) {
  return rows.some((r) => r.who === 'peer') ? { shape: { field: 'who', type: 'nominal', title: null, scale: { domain: ['gatherbench', 'peer'], range: ['circle', 'triangle-up'] } } } : {};
}

/** Table panels in size order, smallest first. */
export function tableFacet(rows: ChartRow[]) {
  return new Set(rows.map((r) => r.table)).size > 1 ? { row: { field: 'table', type: 'ordinal', title: 'table', sort: { field: 'tableBytes', op: 'min' } } } : {};
}

/** Effective bandwidth against row size, a line per method, a panel per batch (and per table size when swept). */
export function bandwidthByWidth(run: RunResults): Chart | undefined {
  const all = gpuPathRows(run);
  if (!all.length) return undefined;
  const ceiling = ceilingMethod(run);
  // The bound (the table in GPU memory) drawn apart where it would stretch the axis over decades past the link
  // (kv-cache: 1 to 10,000 GB/s hid the 1.03x crossover near 50 GB/s).
  const isBound = (r: ChartRow) => methodSpec(r.method)?.role === 'upper-bound';
  const linkTop = Math.max(0, ...all.filter((r) => !isBound(r)).map((r) => r.bandwidth));
  const boundTop = Math.max(0, ...all.filter(isBound).map((r) => r.bandwidth));
  const apart = linkTop > 0 && boundTop > 4 * linkTop;
  const rows = apart ? all.filter((r) => !isBound(r)) : all;
  const distributions = gathered(rows).size > 1;
  return {
    id: 'bandwidth-by-width',
    title: 'Bandwidth vs row size',
    caption:
      'Useful bytes gathered per second (median; band: 95% CI) against row size in bytes, log scales. ' +
      (ceiling ? `The dashed rule is the best ${ceiling} in the panel: ${ceiling === 'pinned-memcpy' ? 'what the PCIe link allows' : 'what a plain host memory copy reaches'}. ` : '') +
      `The gap between a gather line and the rule is what gathering costs; lines that meet it ${ceiling === 'pinned-memcpy' ? 'saturate the link' : 'run at memory-copy speed'}. Black rings: too few samples for a confidence interval.` +
      (distributions ? ' Line dashes: index distribution.' : '') +
      (rows.length < chartRows(run).length ? ' Host-only methods and points under CPU contention have charts and table rows of their own.' : '') +
      (apart ? ` The bound, the table in GPU memory (${[...new Set(all.filter(isBound).map((r) => r.method))].join(', ')}, up to ${boundTop.toFixed(0)} GB/s), is left out so that it does not set the axis; its points are in the table.` : ''),
    spec: {
      data: { values: rows },
      facet: { column: { field: 'batch', type: 'ordinal', title: 'batch (indices per gather)' }, ...tableFacet(rows) },
      spec: {
        width: 280,
        height: 300,
        layer: [
          { mark: { type: 'area', opacity: 0.15, color: '#666' }, encoding: { x: { field: 'rowBytes', type: 'quantitative' }, y: { field: 'ciLow', type: 'quantitative' }, y2: { field: 'ciHigh' }, detail: { field: 'label' } } },
          {
            mark: { type: 'line', point: true },
            encoding: {
              x: ROW_SIZE_AXIS,
              y: { field: 'bandwidth', type: 'quantitative', scale: { type: 'log' }, title: 'GB/s' },
              color: { field: 'series', type: 'nominal', title: 'method', scale: seriesScale(run, rows.map((r) => r.series)), legend: { labelLimit: 320 } },
              ...(distributions ? { strokeDash: dashEncoding(rows) } : {}),
              ...peerShape(rows),
              detail: { field: 'label' },
              tooltip: [{ field: 'series', title: 'method' }, { field: 'rowBytes', title: 'row bytes' }, { field: 'width' }, { field: 'batch' }, { field: 'dtype' }, { field: 'table' }, { field: 'distribution' }, { field: 'contention' }, { field: 'bandwidth', format: '.2f', title: 'GB/s' }, { field: 'ci', title: 'precision' }, { field: 'medianUs', format: '.1f', title: 'median µs' }],
            },
          },
          // Points with too few samples for a confidence interval: ringed, never passed off as precise.
          { transform: [{ filter: '!datum.precise' }], mark: { type: 'point', shape: 'circle', size: 160, color: 'black', strokeWidth: 1.5 }, encoding: { x: { field: 'rowBytes', type: 'quantitative' }, y: { field: 'bandwidth', type: 'quantitative' }, tooltip: [{ field: 'series' }, { field: 'ci', title: 'precision' }] } },
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

/**
 * The view GPU engineers ask for: each GPU path as a percentage of the copy
 * ceiling measured at the same point (same width, batch, table), linear
 * scale, so paths near the link's limit are told apart.
 */
export function ceilingShare(run: RunResults): Chart | undefined {
  const ceiling = ceilingMethod(run);
  if (ceiling !== 'pinned-memcpy') return undefined;
  const rows = gpuPathRows(run);
  const key = (r: ChartRow) => `${r.width}|${r.batch}|${r.dtype}|${r.table}`;
  const ceil = new Map(rows.filter((r) => r.method === ceiling).map((r) => [key(r), r.bandwidth]));
  const shares = rows
    .filter((r) => r.method !== ceiling && methodSpec(r.method)?.source === 'pcie' && ceil.has(key(r)))
    .map((r) => ({ ...r, pct: (100 * r.bandwidth) / ceil.get(key(r))! }));
  if (!shares.length) return undefined;
  const distributions = gathered(shares).size > 1;
  // Small copies are latency-bound, so a gather can beat them: show up to 3x before clipping.
  const top = Math.min(300, Math.max(110, Math.ceil(Math.max(...shares.map((r) => r.pct)) / 10) * 10));
  // A share above 100% is never left unexplained (kv-cache read 140%): say where, and why it can be.
  const over = shares.filter((r) => r.pct > 100);
  const bestCopy = Math.max(...ceil.values());
  const copiesThere = over.map((r) => ceil.get(key(r))!);
  const overText = over.length
    ? ` ${over.length} point(s) read above 100% (up to ${Math.max(...over.map((r) => r.pct)).toFixed(0)}%): there the copy itself read ${Math.min(...copiesThere).toFixed(1)}-${Math.max(...copiesThere).toFixed(1)} GB/s against the run's best ${bestCopy.toFixed(1)}, so these are shares of a slow copy (small or short copies pay their set-up), not of a faster link.`
    : '';
  return {
    id: 'ceiling-share',
    title: 'Share of the PCIe copy ceiling',
    caption:
      `Each path's bandwidth as a percentage of ${ceiling} measured at the same width, batch and table (100% = the link as a plain copy uses it). ` +
      'Zero-copy near 90% has reached what GPU-thread reads can take from the link; the CPU path sits where its gather lets it. Device-resident and UVM (whose samples read GPU memory once pages migrated) are left out.' +
      overText,
    spec: {
      data: { values: shares },
      facet: { column: { field: 'batch', type: 'ordinal', title: 'batch (indices per gather)' }, ...tableFacet(shares) },
      spec: {
        width: 280,
        height: 220,
        layer: [
          { mark: { type: 'rule', color: '#555', strokeDash: [6, 4] }, encoding: { y: { datum: 100 } } },
          {
            mark: { type: 'line', point: true, clip: true },
            encoding: {
              x: ROW_SIZE_AXIS,
              y: { field: 'pct', type: 'quantitative', title: `% of ${ceiling}`, scale: { domain: [0, top] } },
              color: { field: 'series', type: 'nominal', title: 'method', scale: seriesScale(run, shares.map((r) => r.series)), legend: { labelLimit: 320 } },
              ...(distributions ? { strokeDash: dashEncoding(shares) } : {}),
              ...peerShape(shares),
              detail: { field: 'distribution' },
              tooltip: [{ field: 'series', title: 'method' }, { field: 'rowBytes', title: 'row bytes' }, { field: 'width' }, { field: 'batch' }, { field: 'table' }, { field: 'distribution' }, { field: 'pct', format: '.1f', title: '% of ceiling' }, { field: 'bandwidth', format: '.2f', title: 'GB/s' }],
            },
          },
        ],
      },
    },
  };
}
