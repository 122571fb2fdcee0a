import type { Chart } from './types.js';
import { telemetryRows } from './data.js';
import type { RunResults } from '../../harness/results/model.js';

const dotPlot = (rows: object[], field: string, title: string, extra: object[] = []) => ({
  width: 420,
  height: { step: 16 },
  mark: { type: 'point', filled: true },
  encoding: {
    y: { field: 'series', type: 'nominal', title: null },
    // symlog (zero-copy's near-zero CPU beside the CPU path's cores): few, short labels that never overlap
    x: { field, type: 'quantitative', title: `${title} (symlog scale)`, scale: { type: 'symlog' }, axis: { tickCount: 6, format: ',~r', labelOverlap: 'greedy', labelSeparation: 6 } },
    color: { field: 'width', type: 'ordinal', title: 'width' },
    shape: { field: 'batch', type: 'nominal', title: 'batch' },
    tooltip: [{ field: 'series' }, { field: 'width' }, { field: 'batch' }, { field: 'contention' }, { field, format: '.4g' }, ...extra],
  },
  data: { values: rows },
});

/** CPU cost per method: CPU-seconds per GB gathered and cores kept busy. */
export function cpuCost(run: RunResults): Chart | undefined {
  const rows = telemetryRows(run).filter((r) => r.cpuSecondsPerGB !== undefined);
  if (!rows.length) return undefined;
  return {
    id: 'cpu-cost',
    title: 'CPU cost per method',
    caption:
      "CPU-seconds the method's own threads spent per GB gathered, over a telemetry window of back-to-back runs (verification excluded). " +
      'The CPU gather path pays for every byte with CPU time; zero-copy leaves the CPU for other work: the papers\' argument, measured.',
    spec: { hconcat: [dotPlot(rows, 'cpuSecondsPerGB', 'CPU-seconds per GB'), dotPlot(rows, 'systemLoadPct', 'system CPU load (%)', [{ field: 'methodCores', format: '.2f', title: 'method cores' }])] },
  };
}

/** GPU power and energy per GB per method. */
export function gpuEnergy(run: RunResults): Chart | undefined {
  const rows = telemetryRows(run).filter((r) => r.energyPerGBJ !== undefined);
  if (!rows.length) return undefined;
  return {
    id: 'gpu-energy',
    title: 'GPU power and energy per GB',
    caption:
      'GPU board energy per GB gathered (NVML energy counter over the telemetry window) and mean board power. The GPU alone: CPU package ' +
      'energy is in the table where RAPL is readable. Energy above idle subtracts the idle power measured at the start of the run.',
    spec: {
      hconcat: [
        dotPlot(rows, 'energyPerGBJ', 'GPU J per GB', [{ field: 'energyAboveIdlePerGBJ', format: '.3f', title: 'above idle J/GB' }]),
        dotPlot(rows, 'gpuPowerW', 'mean GPU power (W)'),
      ],
    },
  };
}
