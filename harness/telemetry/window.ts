/**
 * What one measurement window of ticks adds up to. Pure functions over
 * recorded ticks, so the arithmetic is tested with made-up readings.
 */
import type { GpuReading, GpuWindow, Tick } from './types.js';

/** Ticks whose interval lies in [t0, t1] (ms). A tick at t covers (t - interval, t]. */
export function ticksIn(ticks: readonly Tick[], t0: number, t1: number, intervalMs: number): Tick[] {
  return ticks.filter((k) => k.t - intervalMs >= t0 - intervalMs / 2 && k.t <= t1 + intervalMs / 2);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : undefined);
const min = (xs: number[]) => (xs.length ? Math.min(...xs) : undefined);

/** Energy by the trapezoid rule over power readings, for GPUs without an energy counter. */
export function integratePowerJ(points: { t: number; w: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  let j = 0;
  for (let i = 1; i < points.length; i++) j += ((points[i].w + points[i - 1].w) / 2) * ((points[i].t - points[i - 1].t) / 1e3);
  return j;
}

/** NVML clocks event reasons that mean the GPU ran slower than it could (idle and app settings are not). */
const THROTTLE_BITS: [number, string][] = [
  [0x4, 'software power cap'],
  [0x8, 'hardware slowdown'],
  [0x20, 'software thermal slowdown'],
  [0x40, 'hardware thermal slowdown'],
  [0x80, 'power brake'],
];

export function throttleNames(mask: number): string[] {
  return THROTTLE_BITS.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name);
}

export function systemLoad(ticks: Tick[]): { meanPct?: number; maxPct?: number; perCoreMeanPct?: number[] } {
  const loads = ticks.map((k) => k.cpuLoad).filter((x): x is number => x !== undefined);
  const cores = ticks.map((k) => k.perCore).filter((x): x is number[] => !!x?.length);
  const perCoreMeanPct = cores.length ? cores[0].map((_, i) => mean(cores.map((c) => c[i] ?? 0))!) : undefined;
  return { meanPct: mean(loads), maxPct: max(loads), perCoreMeanPct };
}

/** Several GPUs working on one point: energy, power and PCIe traffic add up; clocks and utilisation average. */
export function sumGpuWindows(ws: GpuWindow[], gatheredGB: number): GpuWindow {
  if (ws.length === 1) return ws[0];
  const sum = (f: (w: GpuWindow) => number | undefined) => (ws.every((w) => f(w) !== undefined) ? ws.reduce((a, w) => a + f(w)!, 0) : undefined);
  const avg = (f: (w: GpuWindow) => number | undefined) => (sum(f) !== undefined ? sum(f)! / ws.length : undefined);
  const energyJ = sum((w) => w.energyJ), aboveIdle = sum((w) => w.energyAboveIdleJ);
  return {
    uuid: ws.map((w) => w.uuid).join('+'),
    powerMeanW: sum((w) => w.powerMeanW),
    powerMaxW: sum((w) => w.powerMaxW),
    energyJ,
    energyPerGBJ: energyJ !== undefined && gatheredGB > 0 ? energyJ / gatheredGB : undefined,
    idlePowerW: sum((w) => w.idlePowerW),
    energyAboveIdleJ: aboveIdle,
    energyAboveIdlePerGBJ: aboveIdle !== undefined && gatheredGB > 0 ? aboveIdle / gatheredGB : undefined,
    smClockMeanMHz: avg((w) => w.smClockMeanMHz),
    memClockMeanMHz: avg((w) => w.memClockMeanMHz),
    utilMeanPct: avg((w) => w.utilMeanPct),
    tempMaxC: Math.max(...ws.map((w) => w.tempMaxC ?? -Infinity)),
    pcieRxGBps: sum((w) => w.pcieRxGBps),
    pcieTxGBps: sum((w) => w.pcieTxGBps),
    pcieGenMin: Math.min(...ws.map((w) => w.pcieGenMin ?? Infinity)),
    pcieWidthMin: Math.min(...ws.map((w) => w.pcieWidthMin ?? Infinity)),
    throttle: [...new Set(ws.flatMap((w) => w.throttle))],
  };
}

export function gpuWindow(
  uuid: string,
  ticks: Tick[],
  o: { seconds: number; gatheredGB: number; energyJ?: number; idlePowerW?: number },
): GpuWindow {
  const rs = ticks.map((k) => ({ t: k.t, r: k.gpus?.[uuid] })).filter((x): x is { t: number; r: GpuReading } => !!x.r);
  const vals = (f: (r: GpuReading) => number | undefined) => rs.map((x) => f(x.r)).filter((v): v is number => v !== undefined);
  const power = vals((r) => r.powerW);
  const energyJ = o.energyJ ?? integratePowerJ(rs.filter((x) => x.r.powerW !== undefined).map((x) => ({ t: x.t, w: x.r.powerW! })));
  const w: GpuWindow = {
    uuid,
    powerMeanW: mean(power),
    powerMaxW: max(power),
    energyJ,
    smClockMeanMHz: mean(vals((r) => r.smClockMHz)),
    memClockMeanMHz: mean(vals((r) => r.memClockMHz)),
    utilMeanPct: mean(vals((r) => r.gpuUtil)),
    tempMaxC: max(vals((r) => r.tempC)),
    pcieRxGBps: mean(vals((r) => r.pcieRxBps)) !== undefined ? mean(vals((r) => r.pcieRxBps))! / 1e9 : undefined,
    pcieTxGBps: mean(vals((r) => r.pcieTxBps)) !== undefined ? mean(vals((r) => r.pcieTxBps))! / 1e9 : undefined,
    pcieGenMin: min(vals((r) => r.pcieGen)),
    pcieWidthMin: min(vals((r) => r.pcieWidth)),
    throttle: [...new Set(vals((r) => r.throttleReasons).flatMap(throttleNames))],
  };
  if (energyJ !== undefined && o.gatheredGB > 0) w.energyPerGBJ = energyJ / o.gatheredGB;
  if (energyJ !== undefined && o.idlePowerW !== undefined) {
    w.idlePowerW = o.idlePowerW;
    w.energyAboveIdleJ = energyJ - o.idlePowerW * o.seconds;
    if (o.gatheredGB > 0) w.energyAboveIdlePerGBJ = w.energyAboveIdleJ / o.gatheredGB;
  }
  return w;
}

/**
 * Why a window's PCIe receive figure cannot be right, or undefined: a method
 * whose bytes cross the link moves at least what it gathered, so a counter
 * reading under 90% of that sampled partly outside the window.
 */
/**
 * GPU energy over a short window: NVML's energy counter advances in steps, so a window of a few of its periods
 * can read more than the board may draw. Above the boards' power limit the reading cannot be right: say so.
 */
export function implausibleEnergy(w: GpuWindow, seconds: number, powerLimitW: number): string | undefined {
  if (w.energyJ === undefined || !(powerLimitW > 0) || w.energyJ / seconds <= powerLimitW) return undefined;
  return `the energy counter read ${(w.energyJ / seconds).toFixed(0)} W over a ${(seconds * 1e3).toFixed(0)} ms window, above the ${powerLimitW.toFixed(0)} W power limit: it is too coarse for a window this short`;
}

export function implausiblePcie(w: GpuWindow, usefulGBps: number): string | undefined {
  if (w.pcieRxGBps === undefined || w.pcieRxGBps >= 0.9 * usefulGBps) return undefined;
  return `the counter read ${w.pcieRxGBps.toFixed(1)} GB/s where ${usefulGBps.toFixed(1)} GB/s were gathered over the link: its samples did not cover the window`;
}
