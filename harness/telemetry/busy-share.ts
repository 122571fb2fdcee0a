/**
 * A window's energy, power and link figures belong to the method only when the
 * method kept the window busy: a window that mostly waited (one 1.4 ms gather in
 * a 3.4 s window, as stored H100 characterize runs show) reads idle power and
 * divides it by almost no bytes (58,022 J/GB). Such figures are withdrawn with
 * the reason, at measurement time and again when an older results file is read.
 */
import type { PointResult } from '../results/model.js';
import type { PointTelemetry } from './types.js';

/** Below this share of the window spent in the method, per-window figures are not the method's. */
export const MIN_BUSY_SHARE = 0.5;

export function idleWindowReason(busySeconds: number, windowSeconds: number): string | undefined {
  const share = windowSeconds > 0 ? busySeconds / windowSeconds : 0;
  if (share >= MIN_BUSY_SHARE) return undefined;
  return `the method ran ${(100 * share).toPrecision(2)}% of the ${windowSeconds.toFixed(2)} s window (needs ${MIN_BUSY_SHARE * 100}%): its energy, power and PCIe figures would be mostly idle time`;
}

/** Drops the figures an idle window cannot support (the CPU time of the method's own threads stays: it is counted, not averaged). */
export function withdrawIdleFigures(t: PointTelemetry, busySeconds: number): PointTelemetry {
  const why = idleWindowReason(busySeconds, t.windowSeconds);
  if (!why || (!t.gpu && !t.cpuPackage && !t.dram)) return t;
  const { gpu, cpuPackage, dram, ...rest } = t;
  const unavailable = { ...t.unavailable };
  if (gpu) unavailable.gpu = why;
  if (cpuPackage || dram) unavailable['CPU package energy'] = why;
  return { ...rest, busySeconds, unavailable };
}

/** Results written before busySeconds was stored: the busy time is estimated as iterations x the median sample. */
export function withdrawIdleFiguresOfPoint(p: PointResult): PointResult {
  if (!p.telemetry || !p.stats) return p;
  const busy = p.telemetry.busySeconds ?? p.telemetry.iterations * p.stats.median;
  const telemetry = withdrawIdleFigures(p.telemetry, busy);
  return telemetry === p.telemetry ? p : { ...p, telemetry };
}
