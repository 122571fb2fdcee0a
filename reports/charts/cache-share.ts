import type { Chart } from './types.js';
import { ok } from './data.js';
import { cachedShare } from '../findings-beyond.js';
import type { RunResults } from '../../harness/results/model.js';

/** cached-zerocopy: bandwidth against the share of the table cached on the GPU, one line per index distribution. */
export function cacheShareChart(run: RunResults): Chart | undefined {
  const rows = ok(run)
    .filter((p) => p.method === 'cached-zerocopy')
    .map((p) => ({ share: 100 * cachedShare(p), bandwidth: p.bandwidth!.median, distribution: p.axes.distribution ?? '', width: Number(p.axes.width), rowBytes: p.derived.rowBytes, hitRate: 100 * Number(p.details['cache hit rate'] ?? 0) }));
  if (new Set(rows.map((r) => r.share)).size < 2) return undefined;
  // A failed point has no bandwidth: drawn as a red cross at the foot of its panel, never as a gap in a line.
  const foot = (rowBytes: number) => Math.min(...rows.filter((r) => r.rowBytes === rowBytes).map((r) => r.bandwidth));
  const failed = run.points
    .filter((p) => p.method === 'cached-zerocopy' && p.status === 'failed')
    .map((p) => ({ share: 100 * cachedShare(p), distribution: p.axes.distribution ?? '', rowBytes: p.derived.rowBytes, bandwidth: foot(p.derived.rowBytes), reason: p.reason ?? 'failed', failed: true }))
    .filter((r) => Number.isFinite(r.bandwidth));
  return {
    id: 'cache-share',
    title: 'Bandwidth vs GPU cache size',
    caption:
      'cached-zerocopy: the hottest rows of a warm-up trace kept in GPU memory, the misses read zero-copy. Bandwidth against the share of the table cached, ' +
      'one line per index distribution, a panel per row size. A skewed distribution gains quickly and then flattens: past that knee more GPU memory buys little. Uniform indices gain only in proportion.' +
      (failed.length ? ` Red crosses: ${failed.length} point(s) that failed (hover for why), drawn at the foot of their panel: no bandwidth was measured there.` : ''),
    spec: {
      data: { values: [...rows, ...failed] },
      facet: { field: 'rowBytes', type: 'ordinal', title: 'row bytes' },
      columns: 3,
      spec: {
        width: 260,
        height: 200,
        encoding: {
          x: { field: 'share', type: 'quantitative', title: 'table cached on the GPU (%)' },
          y: { field: 'bandwidth', type: 'quantitative', title: 'GB/s', scale: { type: 'log' } },
        },
        layer: [
          {
            transform: [{ filter: '!datum.failed' }],
            mark: { type: 'line', point: true },
            encoding: {
              color: { field: 'distribution', type: 'nominal', title: 'indices', scale: { scheme: 'tableau10' } },
              tooltip: [{ field: 'distribution' }, { field: 'rowBytes' }, { field: 'share', format: '.1f', title: 'cached %' }, { field: 'hitRate', format: '.1f', title: 'hit rate %' }, { field: 'bandwidth', format: '.2f', title: 'GB/s' }],
            },
          },
          { transform: [{ filter: 'datum.failed' }], mark: { type: 'point', shape: 'cross', color: '#d62728', size: 160, filled: true }, encoding: { tooltip: [{ field: 'distribution' }, { field: 'share', format: '.1f', title: 'cached %' }, { field: 'reason', title: 'failed' }] } },
        ],
      },
    },
  };
}
