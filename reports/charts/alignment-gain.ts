import type { Chart } from './types.js';
import { alignmentGains } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/** zerocopy-aligned over zerocopy-naive per width. */
export function alignmentGain(run: RunResults): Chart | undefined {
  const rows = alignmentGains(run);
  if (!rows.length) return undefined;
  return {
    id: 'alignment-gain',
    title: 'Alignment gain (zero-copy aligned / naive)',
    caption:
      'Bandwidth of the 128-byte-aligned mapping over the naive one, same point. Above 1 alignment pays: expected where rows are not a ' +
      'multiple of 128 bytes, so naive warps straddle two segments and send two PCIe requests where one would do; about 1 where rows are aligned anyway.',
    spec: {
      data: { values: rows },
      facet: { field: 'variant', type: 'nominal', title: null },
      spec: {
        width: 260,
        height: 180,
        layer: [
          {
            mark: 'bar',
            encoding: {
              x: { field: 'width', type: 'ordinal', title: 'row width (elements)' },
              xOffset: { field: 'batch', type: 'ordinal' },
              y: { field: 'gain', type: 'quantitative', title: 'aligned / naive', scale: { zero: false } },
              color: { field: 'batch', type: 'ordinal', title: 'batch' },
              tooltip: [{ field: 'width' }, { field: 'batch' }, { field: 'dtype' }, { field: 'gain', format: '.3f' }, { field: 'aligned', format: '.2f', title: 'aligned GB/s' }, { field: 'naive', format: '.2f', title: 'naive GB/s' }],
            },
          },
          { mark: { type: 'rule', color: '#555' }, encoding: { y: { datum: 1 } } },
        ],
      },
    },
  };
}
