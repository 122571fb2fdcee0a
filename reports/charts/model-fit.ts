import type { Chart } from './types.js';
import { seriesScale } from './colors.js';
import type { RunResults } from '../../harness/results/model.js';
import { FLAG_ERROR, modelRun } from '../../harness/model/model.js';

/** Predicted against measured time per point, with the ±20% band. */
export function modelFit(run: RunResults): Chart | undefined {
  const m = modelRun(run);
  const rows = m.points.filter((p) => p.predicted !== undefined && p.measured !== undefined).map((p) => ({ id: p.id, method: p.method, measuredUs: p.measured! * 1e6, predictedUs: p.predicted! * 1e6, errorPct: p.error! * 100, flagged: p.flagged ? `off by more than ${FLAG_ERROR * 100}%` : 'within 20%' }));
  if (!rows.length) return undefined;
  const lo = Math.min(...rows.map((r) => Math.min(r.measuredUs, r.predictedUs))), hi = Math.max(...rows.map((r) => Math.max(r.measuredUs, r.predictedUs)));
  const diag = [lo, hi].map((x) => ({ x, y: x, yl: x * (1 - FLAG_ERROR), yh: x * (1 + FLAG_ERROR) }));
  const fits = m.fits.map((f) => `${f.family}: median error ${(f.medianAbsError * 100).toFixed(1)}% over ${f.points} points`).join('; ');
  return {
    id: 'model-fit',
    title: 'Explanatory model: predicted vs measured',
    caption:
      `Each point's median time against the model's prediction from its request, byte and page counts and the constants fitted to this run (${fits}). ` +
      'On the diagonal the model explains the point; hollow marks are off by more than 20%: there something the model leaves out (CPU contention, UVM migration, the launch of small batches) is at work.',
    spec: {
      width: 520,
      height: 420,
      layer: [
        { data: { values: diag }, mark: { type: 'area', opacity: 0.12, color: '#888' }, encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'yl', type: 'quantitative', scale: { type: 'log' } }, y2: { field: 'yh' } } },
        { data: { values: diag }, mark: { type: 'line', color: '#555', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
        {
          data: { values: rows },
          mark: { type: 'point', size: 50 },
          encoding: {
            x: { field: 'predictedUs', type: 'quantitative', scale: { type: 'log' }, title: 'predicted time (µs)' },
            y: { field: 'measuredUs', type: 'quantitative', scale: { type: 'log' }, title: 'measured median time (µs)' },
            color: { field: 'method', type: 'nominal', scale: seriesScale(run, rows.map((r) => r.method)) },
            fill: { condition: { test: 'datum.flagged == "within 20%"', field: 'method', type: 'nominal', scale: seriesScale(run, rows.map((r) => r.method)) }, value: 'transparent' },
            tooltip: [{ field: 'id' }, { field: 'measuredUs', format: '.1f' }, { field: 'predictedUs', format: '.1f' }, { field: 'errorPct', format: '+.1f', title: 'error %' }],
          },
        },
      ],
    },
  };
}
