import type { Chart } from './types.js';
import { alignmentGains } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

/**
 * zerocopy-aligned over zerocopy-naive per width: one dot per matched pair
 * (a ratio is never summed or stacked), coloured by what else differs.
 */
export function alignmentGain(run: RunResults): Chart | undefined {
  const rows = alignmentGains(run);
  if (!rows.length) return undefined;
  return {
    id: 'alignment-gain',
    title: 'Alignment gain (zero-copy aligned / naive)',
    caption:
      'Bandwidth of the 128-byte-aligned mapping over the naive one, one dot per pair of points that differ only in the mapping. Above 1 alignment pays: ' +
      'expected where rows are not a multiple of 128 bytes, so naive warps straddle two segments and send two PCIe requests where one would do; about 1 where rows are aligned anyway.',
    spec: {
      data: { values: rows },
      width: 520,
      height: 240,
      layer: [
        { mark: { type: 'rule', color: '#555', strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
        {
          mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
          encoding: {
            x: { field: 'width', type: 'ordinal', title: 'row width (elements)', axis: { labelAngle: 0 } },
            xOffset: { field: 'condition', type: 'nominal' },
            y: { field: 'gain', type: 'quantitative', title: 'aligned / naive', scale: { zero: false } },
            color: { field: 'condition', type: 'nominal', title: null, scale: { scheme: 'tableau20' }, legend: { orient: 'bottom', columns: 2, labelLimit: 400 } },
            tooltip: [{ field: 'width' }, { field: 'condition' }, { field: 'dtype' }, { field: 'gain', format: '.3f' }, { field: 'aligned', format: '.2f', title: 'aligned GB/s' }, { field: 'naive', format: '.2f', title: 'naive GB/s' }],
          },
        },
      ],
    },
  };
}
