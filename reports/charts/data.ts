/** Flat rows for charts, one per successful point. */
import type { RunResults } from '../../harness/results/model.js';

export interface ChartRow {
  method: string;
  width: number;
  batch: number;
  dtype: string;
  table: string;
  distribution: string;
  rowBytes: number;
  bandwidth: number;
  ciLow: number;
  ciHigh: number;
  medianUs: number;
  label: string;
}

export function chartRows(run: RunResults): ChartRow[] {
  return run.points
    .filter((p) => p.status === 'ok' && p.bandwidth)
    .map((p) => ({
      method: p.method,
      width: Number(p.axes.width),
      batch: Number(p.axes.batch),
      dtype: p.axes.dtype ?? '',
      table: p.axes.table ?? '',
      distribution: p.axes.distribution ?? 'contiguous',
      rowBytes: p.derived.rowBytes,
      bandwidth: p.bandwidth!.median,
      ciLow: p.bandwidth!.ciLow,
      ciHigh: p.bandwidth!.ciHigh,
      medianUs: p.stats!.median * 1e6,
      label: p.id,
    }));
}
