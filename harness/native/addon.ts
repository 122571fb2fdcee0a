/**
 * The typed boundary to the native addon (native/src/addon.cc). Loading never
 * throws: a missing or broken build becomes `loadError`, so `info` and `list`
 * can still say what is wrong.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { packageRoot } from '../paths.js';
import path from 'node:path';

export interface BuildInfo {
  cuda: boolean;
  cudaArchitectures?: string;
  cudaCompiler?: string;
  hardwareThreads: number;
}

export interface CudaDevice {
  index: number;
  name: string;
  uuid: string;
  pciBusId: string;
  computeCapability: string;
  sms: number;
  totalMemory: number;
  freeMemory: number;
  l2Bytes: number;
  canMapHostMemory: boolean;
  managedMemory: boolean;
  concurrentManagedAccess: boolean;
  pageableMemoryAccess: boolean;
}

export interface CudaInfo {
  built: boolean;
  available: boolean;
  reason?: string;
  runtimeVersion: number;
  driverVersion: number;
  devices: CudaDevice[];
}

export interface DistributionSpec {
  kind: 'uniform' | 'sorted' | 'sequential' | 'zipf' | 'hotset' | 'rmat';
  exponent?: number;
  hotFraction?: number;
  hotProbability?: number;
  fanouts?: number[];
  a?: number;
  b?: number;
  c?: number;
  degree?: number;
}

export type HostAllocMode = 'malloc' | 'hostalloc' | 'register' | 'hugepage';

export interface TableInfo {
  rows: number;
  rowBytes: number;
  bytes: number;
  obtained: string;
  pinned: boolean;
  mapped: boolean;
  fillSeconds: number;
}

export interface NativeTable {
  info(): TableInfo;
  release(): void;
  /** frees the table copies methods kept across points (device-resident, managed) */
  dropCopies(): void;
}

/** Host memory filled once and shared by the tables of every shape (views of its first bytes). */
export interface NativeStorage {
  view(o: { rows: number; rowBytes: number }): NativeTable;
  info(): { bytes: number; obtained: string; pinned: boolean; fillSeconds: number };
  release(): void;
  dropCopies(): void;
}

export interface PrepareOptions {
  method: string;
  batch: number;
  elemBytes: number;
  threads?: number;
  distribution: DistributionSpec;
  seed: number;
  device?: number;
  mapping?: 'warp' | 'block' | 'subwarp';
  vectorBytes?: number;
  block?: number;
  grid?: number;
  pipeline?: number;
  uvmAdvise?: 'none' | 'read-mostly' | 'prefer-host';
  uvmReset?: 'point' | 'sample';
  gpus?: number;
  /** evict GPU caches and translation state before each timed sample (default true) */
  flush?: boolean;
  /** cached-zerocopy: the cache as a share of the table's rows, or in bytes */
  cacheShare?: number;
  cacheBytes?: number;
  /** step-* methods: how the gather meets the layer, and the layer's width */
  step?: 'serial' | 'pipelined';
  hidden?: number;
}

/** Where a chunk's wall time went, seconds (native/src/method.h ChunkTime). */
export interface ChunkTime {
  timed: number;
  setup: number;
  warmup: number;
  verify: number;
  flush: number;
  launch: number;
}

export interface ChunkResult {
  total: Float64Array;
  /** each phase's time per sample, NaN where the method has none (a peer bench may leave phases out) */
  gather: Float64Array;
  copy: Float64Array;
  compute?: Float64Array;
  gatherAlone?: Float64Array;
  computeAlone?: Float64Array;
  verification: { ok: boolean; mode: string; rowsVerified: number; badRow?: number; detail?: string };
  time: ChunkTime;
  /** timed samples whose whole output was checked by checksum */
  checksums: number;
}

export interface SoakResult {
  iterations: number;
  seconds: number;
  busySeconds: number;
  cpuSeconds: number;
}

export interface NvmlStatic {
  name: string;
  driver: string;
  pcieGenMax: number;
  pcieWidthMax: number;
  pcieGen: number;
  pcieWidth: number;
  ecc: number;
  powerLimitW: number;
  smClockMaxMHz: number;
  memClockMaxMHz: number;
}

export interface NvmlSample {
  powerW: number;
  energyJ: number;
  smClockMHz: number;
  memClockMHz: number;
  gpuUtil: number;
  memUtil: number;
  tempC: number;
  pcieTxBps: number;
  pcieRxBps: number;
  pcieGen: number;
  pcieWidth: number;
  throttleReasons: number;
}

export interface NativeContention {
  stop(): { bytes: number; seconds: number; threads: number };
}

export interface NativeBench {
  run(o: { firstSample: number; samples: number; warmup: number }): Promise<ChunkResult>;
  /** runs back to back, unverified, on the index sets already verified */
  soak(o: { seconds: number }): Promise<SoakResult>;
  /** empty-kernel launch latency on the method's stream; null for methods timed end to end */
  launchLatency(): Promise<{ ungatedUs: number; gatedUs: number } | null>;
  details(): Record<string, string | boolean>;
  /** a new draw of the CPU path's luck: the bench's CPU threads made anew (a peer's bench has none) */
  redraw?(): void;
  close(): void;
}

/** What only the addon knows, exported so the harness keeps no second copy. */
export interface NativeFacts {
  /**
   * source: where a timed sample reads the table (a copy the method makes in device or managed memory, or the
   * host table by CPU or over PCIe); minCuda: the CUDA version (e.g. 12080) runtime and driver must have; 0 for none
   */
  methods: { name: string; backend: 'host' | 'cuda'; source: 'host' | 'pcie' | 'device-copy' | 'managed-copy'; contiguous: boolean; kernel: boolean; minCuda: number }[];
  vectorBytes: number[];
  fullVerifyBytes: number;
  sampledRows: number;
  /** the CPU's last-level cache (sysfs): cold samples read twice this much after the CPU read index sets' rows */
  cpuCacheBytes: number;
  tablePadBytes: number;
  testSwitches: {
    slowdownUs: number;
    slowdownPct: number;
    sameDevice: boolean;
    /** -2 off, -1 after each set's first run, n: after timed sample n */
    corrupt: number;
    cudaErrorGpu: number;
    throwInPool: boolean;
    /** a thread pool's thread that cannot be made (1-based), -1 off */
    threadFailAt: number;
    /** the process's first index-set reservations run out of memory */
    reserveFail: boolean;
    fullVerifyBytesLowered: boolean;
  };
}

/** What the anatomy probe redraws between draws (native/src/cpu_anatomy.h). */
export const ANATOMY_FACTORS = ['none', 'table-fresh', 'table-remap', 'table-huge', 'buffers', 'threads', 'threads-pinned', 'wake-spin', 'time'] as const;
export type AnatomyFactor = (typeof ANATOMY_FACTORS)[number];
export interface AnatomyOptions {
  tableBytes: number;
  rowBytes: number;
  batch: number;
  /** 0: every CPU the process may use */
  threads: number;
  factor: AnatomyFactor;
  draws: number;
  samples: number;
  waitSeconds?: number;
  seed?: number;
}
export interface AnatomyResult {
  draws: { seconds: number[]; placement: string; hugePages: string }[];
  thp: string;
  cpus: number;
}

export interface Addon {
  buildInfo(): BuildInfo;
  cudaInfo(): CudaInfo;
  facts(): NativeFacts;
  /** frees the buffers GPU methods keep across points */
  releaseBuffers(): void;
  /** set: index set k of a point drawn with `seed`, exactly as the sampling loop draws it */
  generateIndices(o: { rows: number; count: number; seed: number; distribution: DistributionSpec; set?: number }): BigInt64Array;
  /** the rows cached-zerocopy's GPU cache would hold (slot order) and the warm-up trace length they came from */
  /** the GPU cache cached-zerocopy plans; with indices, their misses as the method records them ("times:rows ...") */
  planCache(o: { rows: number; batch: number; cachedRows: number; seed: number; distribution: DistributionSpec; indices?: BigInt64Array }): { rows: BigInt64Array; trace: number; missRepeats?: string };
  /** the CPU path's anatomy probe (native/src/cpu_anatomy.h): one suspect redrawn `draws` times */
  cpuAnatomy(o: AnatomyOptions): Promise<AnatomyResult>;
  /** the warm-up draws a cache plan of that many rows ranks them by (plans of one trace are prefixes of each other) */
  cacheTraceLength(o: { batch: number; cachedRows: number; distribution: DistributionSpec }): number;
  /** word w of every table filled with `seed` */
  tableWord(o: { seed: number; word: number }): bigint;
  /** The GPU gather kernel run on the host thread by thread, its output compared with the table (tests of the kernel without a GPU). */
  emulateGather(
    table: NativeTable,
    o: { indices: BigInt64Array; elemBytes: number; kind: 'naive' | 'aligned' | 'cached' | 'scatter'; vectorBytes: number; group: number; block: number; grid: number; gpuMemory?: boolean },
  ): { ok: boolean; rowsChecked: number; inFlight: number; badRow?: number; detail?: string; readFrom: number; readTo: number };
  /**
   * The GPU's check of an output (every word against the table's pattern) run on the host over an output gathered
   * from the table, one byte flipped where corruptByte is given: the reference it derives, the host's reference,
   * the output's own checksum and the first byte that differs (-1: none).
   */
  emulatePatternCheck(table: NativeTable, o: { indices: BigInt64Array; corruptByte?: number }): { checksum: bigint; hostReference: bigint; outputChecksum: bigint; firstBadByte: number };
  /** how many index sets a point with this much output rotates through (few where the flush leaves nothing of earlier samples) */
  indexSetCount(o: { outputBytes: number; coldAfterFlush: boolean }): number;
  createTable(o: { rows: number; rowBytes: number; alloc: HostAllocMode; seed: number }): Promise<NativeTable>;
  createStorage(o: { bytes: number; alloc: HostAllocMode; seed: number }): Promise<NativeStorage>;
  prepare(table: NativeTable, o: PrepareOptions): Promise<NativeBench>;
  Contention: new (o: { threads: number; bytesPerThread?: number }) => NativeContention;
  nvmlInfo(): { available: boolean; reason?: string };
  nvmlStatic(uuid: string): NvmlStatic | null;
  nvmlSample(uuid: string, withPcie: boolean): Promise<NvmlSample>;
  nvmlEnergy(uuid: string): number;
}

/** Error codes the addon attaches to its errors. */
export type NativeErrorCode = 'OOM' | 'UNSUPPORTED' | 'CUDA' | 'BAD_ARGUMENT' | 'SYSTEM' | 'VERIFY';

export function nativeErrorCode(e: unknown): NativeErrorCode | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? (code as NativeErrorCode) : undefined;
}

export const addonPath = path.join(packageRoot, 'build', 'Release', 'gatherbench.node');

let cached: { addon?: Addon; loadError?: string } | undefined;

export function loadAddon(): { addon?: Addon; loadError?: string } {
  if (cached) return cached;
  const override = process.env.GATHERBENCH_ADDON;
  const file = override ?? addonPath;
  if (!existsSync(file)) {
    cached = { loadError: `native addon not built (${file} is missing): run npm install` };
    return cached;
  }
  try {
    cached = { addon: createRequire(import.meta.url)(file) as Addon };
  } catch (e) {
    cached = { loadError: `native addon failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  return cached;
}
