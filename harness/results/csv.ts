/** results.csv: one row per point x method, axes as columns. */
import { stringify } from 'csv-stringify/sync';
import { AXIS_NAMES } from '../scenario/axes.js';
import type { RunResults, PointResult } from './model.js';
import type { Summary } from '../stats/summary.js';

/** Telemetry columns: name and how to read it from a point (empty where unavailable). */
const TELEMETRY_COLUMNS: [string, (p: PointResult) => number | undefined][] = [
  ['method_cpu_cores', (p) => p.telemetry?.methodCores],
  ['cpu_s_per_GB', (p) => p.telemetry?.cpuSecondsPerGB],
  ['system_load_mean_pct', (p) => p.telemetry?.systemLoadMeanPct],
  ['system_load_max_pct', (p) => p.telemetry?.systemLoadMaxPct],
  ['gpu_power_mean_W', (p) => p.telemetry?.gpu?.powerMeanW],
  ['gpu_energy_J_per_GB', (p) => p.telemetry?.gpu?.energyPerGBJ],
  ['gpu_energy_above_idle_J_per_GB', (p) => p.telemetry?.gpu?.energyAboveIdlePerGBJ],
  ['gpu_sm_clock_MHz', (p) => p.telemetry?.gpu?.smClockMeanMHz],
  ['pcie_rx_GBps', (p) => p.telemetry?.gpu?.pcieRxGBps],
  ['cpu_package_J_per_GB', (p) => p.telemetry?.cpuPackage?.energyPerGBJ],
  ['cpu_package_above_idle_J_per_GB', (p) => p.telemetry?.cpuPackage?.energyAboveIdlePerGBJ],
];

const STAT_KEYS = ['median', 'mean', 'stddev', 'min', 'max', 'p5', 'p95', 'ciLow', 'ciHigh'] as const satisfies readonly (keyof Summary)[];

export function csvColumns(run: RunResults): string[] {
  const axes = AXIS_NAMES.filter((a) => run.points.some((p) => p.axes[a] !== undefined));
  return [
    'backend', 'ran_on', 'method', 'status', ...axes, 'row_bytes', 'table_rows', 'table_bytes', 'useful_bytes', 'samples',
    ...STAT_KEYS.map((k) => `time_${k}_s`), 'time_rel_ci', 'bandwidth_GBps', 'bandwidth_ci_low_GBps', 'bandwidth_ci_high_GBps',
    'rows_per_s', 'gather_median_s', 'copy_median_s', 'verification', 'rows_verified', 'stop_reason',
    ...TELEMETRY_COLUMNS.map(([c]) => c), 'reason',
  ];
}

function row(run: RunResults, p: PointResult, columns: string[]): (string | number)[] {
  const cell: Record<string, string | number | undefined> = {
    backend: run.backend, ran_on: p.device, method: p.method, status: p.status,
    row_bytes: p.derived.rowBytes, table_rows: p.derived.tableRows, table_bytes: p.derived.tableBytes,
    useful_bytes: p.derived.usefulBytes, samples: p.stats?.n ?? 0, time_rel_ci: p.stats?.relCi ?? undefined, // empty where there is no interval
    bandwidth_GBps: p.bandwidth?.median, bandwidth_ci_low_GBps: p.bandwidth?.ciLow, bandwidth_ci_high_GBps: p.bandwidth?.ciHigh,
    rows_per_s: p.rowsPerSecond, gather_median_s: p.phases?.gather?.median, copy_median_s: p.phases?.copy?.median,
    verification: p.verification?.mode, rows_verified: p.verification?.rowsVerified, stop_reason: p.stop?.reason, reason: p.reason,
  };
  for (const k of STAT_KEYS) cell[`time_${k}_s`] = p.stats?.[k];
  for (const [c, get] of TELEMETRY_COLUMNS) cell[c] = get(p);
  for (const a of AXIS_NAMES) if (p.axes[a] !== undefined) cell[a] = p.axes[a];
  return columns.map((c) => {
    const v = cell[c];
    return v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : v;
  });
}

export function toCsv(run: RunResults): string {
  const columns = csvColumns(run);
  return stringify([columns, ...run.points.map((p) => row(run, p, columns))]);
}
