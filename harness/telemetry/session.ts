/**
 * Telemetry for a run: which sources this machine has (and why not), an idle
 * window at the start, and per point a window around the method's soak
 * (back-to-back runs on already verified index sets) that yields CPU load,
 * CPU-seconds per GB, GPU power and energy per GB, raw and above idle.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Addon, CudaInfo, SoakResult } from '../native/addon.js';
import { findRaplZones, raplDeltaJ, readRapl, type RaplReading, type RaplZone } from './rapl.js';
import { nvidiaSmiSource, nvmlSource, type GpuSource } from './gpu-source.js';
import { Sampler, type Collect } from './sampler.js';
import { tickCost } from './overhead.js';
import { gpuWindow, implausibleEnergy, implausiblePcie, sumGpuWindows, systemLoad, ticksIn } from './window.js';
import type { GpuStatic, PointTelemetry, RunTelemetry } from './types.js';
import { withdrawIdleFigures } from './busy-share.js';
import { interfered, INTERFERENCE_EXPLAINS_UP_TO, type HostInterference } from './host-interference.js';

export interface TelemetryConfig {
  intervalMs: number;
  /** soak window per point, seconds; 0 turns per-point telemetry off */
  windowSeconds: number;
  /** idle window at the start of the run, seconds; 0 skips it */
  idleSeconds: number;
  /** every point's window the whole windowSeconds, not a share of its timed work (scenario telemetry.energy) */
  energy?: boolean;
}

interface WindowStart {
  t: number;
  cpu: NodeJS.CpuUsage;
  cores: os.CpuInfo['times'][];
  rapl: RaplReading;
  energy: Record<string, number | undefined>;
}

/** System load over a window from per-core CPU times at its ends: exact, whatever the window's length. */
export function loadBetween(a: os.CpuInfo['times'][], b: os.CpuInfo['times'][]): { meanPct?: number; perCoreMeanPct?: number[] } {
  const perCore = b.map((t, i) => {
    const s = a[i];
    if (!s) return undefined;
    const busy = t.user + t.nice + t.sys + t.irq - (s.user + s.nice + s.sys + s.irq);
    const all = busy + t.idle - s.idle;
    return all > 0 ? (100 * busy) / all : undefined;
  });
  if (!perCore.length || perCore.some((x) => x === undefined)) return {};
  const pcts = perCore as number[];
  return { meanPct: pcts.reduce((x, y) => x + y, 0) / pcts.length, perCoreMeanPct: pcts };
}

/**
 * Energy counters (NVML, RAPL) update every few to tens of milliseconds:
 * a shorter window gives no figure rather than a wrong one.
 */
export const ENERGY_WINDOW_S = 0.1;

const coreTimes = () => os.cpus().map((c) => c.times);

export class Telemetry {
  private constructor(
    readonly config: TelemetryConfig,
    readonly info: RunTelemetry,
    private readonly sampler: Sampler,
    private readonly gpu: GpuSource | undefined,
    private readonly rapl: RaplZone[],
    private readonly uuids: string[],
    private readonly pcie: { wanted: boolean },
  ) {}

  static async open(addon: Addon | undefined, cuda: CudaInfo | undefined, config: TelemetryConfig): Promise<Telemetry> {
    const sources: Record<string, string> = { 'system CPU load': 'ok (per-core CPU times, os.cpus)', 'process CPU time': 'ok (per-thread CPU clocks of the method, process.cpuUsage)' };
    const uuids = cuda?.available ? cuda.devices.map((d) => d.uuid) : [];
    let gpu: GpuSource | undefined;
    if (!cuda?.available) {
      sources['GPU power, clocks, PCIe'] = `unavailable: ${cuda?.reason ?? 'no CUDA in this build'}`;
    } else {
      gpu = addon ? nvmlSource(addon) : undefined;
      if (!gpu) {
        const smi = await nvidiaSmiSource();
        if ('reason' in smi) sources['GPU power, clocks, PCIe'] = `unavailable: ${addon?.nvmlInfo().reason ?? 'NVML not loaded'}; ${smi.reason}`;
        else gpu = smi;
      }
      if (gpu) sources['GPU power, clocks, PCIe'] = `ok (${gpu.name}${gpu.state.ok && gpu.state.detail ? `: ${gpu.state.detail}` : ''})`;
    }
    const rapl = findRaplZones();
    sources['CPU package / DRAM energy (RAPL)'] = rapl.state.ok ? `ok (${rapl.state.detail})` : `unavailable: ${rapl.state.reason}`;
    const gpus: GpuStatic[] = (cuda?.devices ?? []).map((d) => ({ uuid: d.uuid, cudaIndex: d.index, name: d.name, ...(gpu?.name === 'nvml' ? addon!.nvmlStatic(d.uuid) ?? {} : {}) }));
    // NVML's PCIe throughput query costs CPU (~20 ms per direction): only inside measurement windows.
    const pcie = { wanted: false };
    // Load per tick from per-core CPU time deltas (systeminformation's first
    // currentLoad call alone blocks for half a second).
    let lastCores = coreTimes();
    const collect: Collect = async () => {
      const readings = gpu ? await gpu.sample(uuids, pcie.wanted) : undefined;
      const cores = coreTimes();
      const load = loadBetween(lastCores, cores);
      lastCores = cores;
      return { cpuLoad: load.meanPct, perCore: load.perCoreMeanPct, gpus: readings };
    };
    const info: RunTelemetry = { intervalMs: config.intervalMs, windowSeconds: config.windowSeconds, sources, gpus };
    const t = new Telemetry(config, info, new Sampler(collect, config.intervalMs), gpu, rapl.zones, uuids, pcie);
    if (config.windowSeconds > 0 || config.idleSeconds > 0) {
      pcie.wanted = true; // cost as in a window, the dearest case
      const cost = await tickCost(collect);
      pcie.wanted = false;
      if (cost !== undefined) {
        info.tickLatencyMs = cost.latencyMs;
        info.tickCpuMs = cost.cpuMs;
        info.overheadPct = (100 * cost.cpuMs) / config.intervalMs;
      }
    }
    return t;
  }

  /** What `info` prints: one line per source. */
  static describe(info: RunTelemetry): string[] {
    return Object.entries(info.sources).map(([k, v]) => `${k}: ${v}`);
  }

  /** Whether the sampler is polling now (only inside a window). */
  get sampling(): boolean {
    return this.sampler.running;
  }

  /** Whether an idle window has anything to measure: GPU power or RAPL energy. */
  get measuresPower(): boolean {
    return this.gpu !== undefined || this.rapl.length > 0;
  }

  /** Stops the sampler, waiting for a tick in flight: no poll may overlap a timed sample. */
  async stop(): Promise<void> {
    await this.sampler.stop();
  }

  /** Samples with nothing running, to subtract idle power from each point's energy. */
  async measureIdle(signal?: AbortSignal): Promise<void> {
    const s = this.config.idleSeconds;
    if (s <= 0 || signal?.aborted) return;
    const start = this.begin();
    // An interrupt ends the window early: the idle figures then cover what was waited.
    await new Promise<void>((r) => {
      const t = setTimeout(r, s * 1e3);
      signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
    const t1 = performance.now();
    await this.sampler.stop();
    this.pcie.wanted = false;
    const ticks = ticksIn(this.sampler.ticks, start.t, t1, this.config.intervalMs);
    const seconds = (t1 - start.t) / 1e3;
    const gpuPowerW: Record<string, number> = {};
    for (const u of this.uuids) {
      const w = gpuWindow(u, ticks, { seconds, gatheredGB: 0, energyJ: this.energyDelta(start, u) });
      const p = w.energyJ !== undefined ? w.energyJ / seconds : w.powerMeanW;
      if (p !== undefined) gpuPowerW[u] = p;
    }
    const pkg = raplDeltaJ(start.rapl.package, readRapl(this.rapl).package, this.maxUj('package'));
    this.info.idle = { seconds, cpuLoadPct: loadBetween(start.cores, coreTimes()).meanPct ?? systemLoad(ticks).meanPct, gpuPowerW, cpuPackageW: pkg !== undefined ? pkg / seconds : undefined };
  }

  /**
   * Opens a measurement window: the sampler polls only between begin() and
   * end(), never while timed samples run (a poll on the JS thread, on libuv
   * threads or in nvidia-smi would be a straggler inside a timed CPU gather).
   */
  begin(): WindowStart {
    this.pcie.wanted = true;
    const energy: Record<string, number | undefined> = {};
    for (const u of this.uuids) energy[u] = this.gpu?.energyJ(u);
    const start = { t: performance.now(), cpu: process.cpuUsage(), cores: coreTimes(), rapl: readRapl(this.rapl), energy };
    this.sampler.start();
    return start;
  }

  /** overPcie: the method's bytes cross PCIe, so the link's receive counter must read at least what was gathered. */
  async end(start: WindowStart, o: { uuids?: string[]; soak: SoakResult; usefulBytes: number; overPcie?: boolean }): Promise<PointTelemetry> {
    const t1 = performance.now();
    const cores = coreTimes();
    await this.sampler.stop();
    this.pcie.wanted = false;
    const seconds = o.soak.seconds;
    const gatheredGB = (o.soak.iterations * o.usefulBytes) / 1e9;
    const cpu = process.cpuUsage(start.cpu);
    const ticks = ticksIn(this.sampler.ticks, start.t, t1, this.config.intervalMs);
    const exact = loadBetween(start.cores, cores);
    const load = { ...systemLoad(ticks), ...(exact.meanPct !== undefined ? exact : {}) };
    const unavailable: Record<string, string> = {};
    const out: PointTelemetry = {
      windowSeconds: seconds,
      iterations: o.soak.iterations,
      busySeconds: o.soak.busySeconds,
      gatheredGB,
      methodCpuSeconds: o.soak.cpuSeconds,
      methodCores: o.soak.cpuSeconds / seconds,
      cpuSecondsPerGB: o.soak.cpuSeconds / gatheredGB,
      processCpuSeconds: (cpu.user + cpu.system) / 1e6,
      systemLoadMeanPct: load.meanPct,
      systemLoadMaxPct: load.maxPct,
      perCoreMeanPct: load.perCoreMeanPct,
      unavailable,
    };
    if (load.meanPct === undefined) unavailable['system CPU load'] = 'per-core CPU times not readable on this system';
    if (o.uuids?.length && this.gpu && seconds < ENERGY_WINDOW_S) {
      unavailable.gpu = `a ${(seconds * 1e3).toFixed(0)} ms window is too short for a GPU power or energy reading (needs ${ENERGY_WINDOW_S * 1e3} ms)`;
    } else if (o.uuids?.length && this.gpu) {
      const each = o.uuids.map((u) => gpuWindow(u, ticks, { seconds, gatheredGB: gatheredGB / o.uuids!.length, energyJ: this.energyDelta(start, u), idlePowerW: this.info.idle?.gpuPowerW[u] }));
      out.gpu = sumGpuWindows(each, gatheredGB);
      // NVML's PCIe counter is sampled over 20 ms at each tick; ticks that fall partly outside the
      // soak read less than was moved. Fewer bytes on the link than gathered cannot be: say so.
      const why = o.overPcie ? implausiblePcie(out.gpu, gatheredGB / seconds) : undefined;
      if (why) {
        unavailable['PCIe throughput'] = why;
        delete out.gpu.pcieRxGBps;
        delete out.gpu.pcieTxGBps;
      }
      const limitW = o.uuids.reduce((s, u) => s + (this.info.gpus.find((g) => g.uuid === u)?.powerLimitW ?? NaN), 0);
      const coarse = implausibleEnergy(out.gpu, seconds, limitW);
      if (coarse) {
        unavailable['GPU energy'] = coarse;
        for (const k of ['energyJ', 'energyPerGBJ', 'energyAboveIdleJ', 'energyAboveIdlePerGBJ'] as const) delete out.gpu[k];
      }
    } else if (o.uuids?.length) {
      unavailable.gpu = this.info.sources['GPU power, clocks, PCIe'];
    }
    const now = readRapl(this.rapl);
    const pkg = seconds < ENERGY_WINDOW_S ? undefined : raplDeltaJ(start.rapl.package, now.package, this.maxUj('package'));
    if (pkg !== undefined) {
      const idleW = this.info.idle?.cpuPackageW;
      out.cpuPackage = { energyJ: pkg, energyPerGBJ: pkg / gatheredGB, idlePowerW: idleW };
      if (idleW !== undefined) {
        out.cpuPackage.energyAboveIdleJ = pkg - idleW * seconds;
        out.cpuPackage.energyAboveIdlePerGBJ = out.cpuPackage.energyAboveIdleJ / gatheredGB;
      }
      const dram = raplDeltaJ(start.rapl.dram, now.dram, this.maxUj('dram'));
      if (dram !== undefined) out.dram = { energyJ: dram, energyPerGBJ: dram / gatheredGB };
    } else {
      unavailable['CPU package energy'] = this.rapl.length && seconds < ENERGY_WINDOW_S ? `window too short (needs ${ENERGY_WINDOW_S * 1e3} ms)` : this.info.sources['CPU package / DRAM energy (RAPL)'];
    }
    this.sampler.forgetBefore(t1 - 60_000);
    return withdrawIdleFigures(out, o.soak.busySeconds);
  }

  private energyDelta(start: WindowStart, uuid: string): number | undefined {
    const a = start.energy[uuid];
    const b = this.gpu?.energyJ(uuid);
    return a !== undefined && b !== undefined ? b - a : undefined;
  }

  private maxUj(kind: 'package' | 'dram'): number {
    const zones = this.rapl.filter((z) => (kind === 'package' ? z.name.startsWith('package') : z.name === 'dram'));
    return zones.length ? zones[0].maxUj : 0;
  }
}

/** Run-level warnings from the points' telemetry: a slow PCIe link or a throttling GPU. */
export function telemetryWarnings(info: RunTelemetry | undefined, points: { id: string; telemetry?: PointTelemetry; host?: HostInterference }[]): string[] {
  const out: string[] = [];
  if (!info) return out;
  for (const g of info.gpus) {
    const windows = points.map((p) => ({ id: p.id, w: p.telemetry?.gpu })).filter((x) => x.w?.uuid.split('+').includes(g.uuid));
    const slow = windows.filter((x) => (g.pcieGenMax !== undefined && g.pcieGenMax > 0 && x.w!.pcieGenMin !== undefined && x.w!.pcieGenMin < g.pcieGenMax) ||
      (g.pcieWidthMax !== undefined && g.pcieWidthMax > 0 && x.w!.pcieWidthMin !== undefined && x.w!.pcieWidthMin < g.pcieWidthMax));
    if (slow.length) {
      const w = slow[0].w!;
      out.push(`${g.name}: PCIe link below its maximum (Gen${g.pcieGenMax} x${g.pcieWidthMax}) during ${slow.length} measurement window(s), e.g. Gen${w.pcieGenMin} x${w.pcieWidthMin} in ${slow[0].id}`);
    }
    const throttled = windows.filter((x) => x.w!.throttle.length);
    if (throttled.length) {
      const reasons = [...new Set(throttled.flatMap((x) => x.w!.throttle))].join(', ');
      out.push(`${g.name}: throttled (${reasons}) during ${throttled.length} measurement window(s), e.g. ${throttled[0].id}`);
    }
  }
  const taken = points.filter((p) => interfered(p.host));
  if (taken.length) out.push(`the machine took CPU time from ${taken.length} point(s) while they sampled, e.g. ${taken[0].id}: ${interfered(taken[0].host)}; compare calls their slowdowns of up to ${INTERFERENCE_EXPLAINS_UP_TO}x uncertain`);
  if (info.overheadPct !== undefined && info.overheadPct > 5) out.push(`telemetry sampler costs ${info.overheadPct.toFixed(1)}% of a core at a ${info.intervalMs} ms interval, inside telemetry windows only (never during timed samples)`);
  return out;
}
