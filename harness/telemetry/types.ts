/** Telemetry readings and what a point's window of them adds up to. */
import type { NvmlStatic } from '../native/addon.js';

export interface GpuReading {
  powerW?: number;
  /** cumulative energy counter (NVML), joules */
  energyJ?: number;
  smClockMHz?: number;
  memClockMHz?: number;
  gpuUtil?: number;
  tempC?: number;
  pcieTxBps?: number;
  pcieRxBps?: number;
  pcieGen?: number;
  pcieWidth?: number;
  throttleReasons?: number;
}

/** One sampler tick; t is performance.now() in ms. */
export interface Tick {
  t: number;
  /** system-wide CPU load over the last interval, percent of all cores */
  cpuLoad?: number;
  perCore?: number[];
  gpus?: Record<string, GpuReading>;
}

/** A source is either usable or says why not; never a silent zero. */
export type SourceState = { ok: true; detail?: string } | { ok: false; reason: string };

export interface GpuWindow {
  /** the GPU, or several joined with '+' where a point used several (figures summed) */
  uuid: string;
  powerMeanW?: number;
  powerMaxW?: number;
  energyJ?: number;
  energyPerGBJ?: number;
  idlePowerW?: number;
  energyAboveIdleJ?: number;
  energyAboveIdlePerGBJ?: number;
  smClockMeanMHz?: number;
  memClockMeanMHz?: number;
  utilMeanPct?: number;
  tempMaxC?: number;
  pcieRxGBps?: number;
  pcieTxGBps?: number;
  pcieGenMin?: number;
  pcieWidthMin?: number;
  throttle: string[];
}

export interface PointTelemetry {
  windowSeconds: number;
  iterations: number;
  /** the method's own durations summed over the window's iterations */
  busySeconds?: number;
  gatheredGB: number;
  /** CPU time of the method's own threads in the window */
  methodCpuSeconds: number;
  /** methodCpuSeconds / window: cores kept busy by the method */
  methodCores: number;
  cpuSecondsPerGB: number;
  /** the whole process, contention and sampler included */
  processCpuSeconds: number;
  systemLoadMeanPct?: number;
  systemLoadMaxPct?: number;
  /** mean load of each core over the window, percent */
  perCoreMeanPct?: number[];
  gpu?: GpuWindow;
  cpuPackage?: { energyJ: number; energyPerGBJ: number; idlePowerW?: number; energyAboveIdleJ?: number; energyAboveIdlePerGBJ?: number };
  dram?: { energyJ: number; energyPerGBJ: number };
  contention?: { threads: number; GBps: number };
  /** why a figure is missing: source -> reason */
  unavailable: Record<string, string>;
}

export interface GpuStatic extends Partial<NvmlStatic> {
  uuid: string;
  cudaIndex: number;
  name: string;
}

/** What results.json keeps about telemetry for the whole run. */
export interface RunTelemetry {
  intervalMs: number;
  windowSeconds: number;
  /** wall time of one tick (mostly waiting on sensors, off the JS thread) */
  tickLatencyMs?: number;
  /** CPU time of one tick */
  tickCpuMs?: number;
  /** tick CPU time / interval: the share of one core the sampler takes */
  overheadPct?: number;
  sources: Record<string, string>;
  gpus: GpuStatic[];
  idle?: { seconds: number; cpuLoadPct?: number; gpuPowerW: Record<string, number>; cpuPackageW?: number };
}
