/**
 * The catalogue of access paths. Each method names the axes that change what
 * it does; the sweep drops the others for it, so a host method is not
 * measured once per GPU block size.
 */
import type { AxisName } from './scenario/axes.js';
import type { Addon, CudaInfo } from './native/addon.js';
import type { PeerInfo } from './peers/session.js';

/** host and cuda: the addon's methods; peer: run by a Python worker (harness/peers) */
export type Backend = 'host' | 'cuda' | 'peer';
/** peer: what users run today (PyTorch, DGL), measured beside gatherbench's own */
export type Role = 'baseline' | 'candidate' | 'ceiling' | 'upper-bound' | 'peer';

export interface MethodSpec {
  name: string;
  backend: Backend;
  role: Role;
  /** where a timed sample's bytes come from: over PCIe, from GPU memory (device-resident; UVM once its pages migrated), or host memory */
  source: 'pcie' | 'gpu-memory' | 'host';
  axes: readonly AxisName[];
  summary: string;
}

const TABLE: readonly AxisName[] = ['width', 'dtype', 'batch', 'table', 'contention'];
const GATHER: readonly AxisName[] = [...TABLE, 'distribution'];
const KERNEL: readonly AxisName[] = ['device', 'gpus', 'mapping', 'vector', 'block', 'grid'];

const BASE_METHODS: MethodSpec[] = [
  { name: 'host-gather-copy', backend: 'host', role: 'baseline', source: 'host', axes: [...GATHER, 'alloc', 'threads'],
    summary: 'CPU threads gather rows into a staging buffer, then copy it to a second host buffer (the host half of the baseline)' },
  { name: 'host-memcpy', backend: 'host', role: 'ceiling', source: 'host', axes: [...TABLE, 'alloc', 'threads'],
    summary: 'contiguous host copy of the same bytes: the ceiling for host-side gathers' },
  { name: 'pinned-memcpy', backend: 'cuda', role: 'ceiling', source: 'pcie', axes: [...TABLE, 'alloc', 'device', 'gpus'],
    summary: 'one contiguous cudaMemcpyAsync host-to-device of the same bytes: the PCIe ceiling' },
  { name: 'cpu-gather-memcpy', backend: 'cuda', role: 'baseline', source: 'pcie', axes: [...GATHER, 'alloc', 'device', 'gpus', 'threads', 'pipeline'],
    summary: 'the usual path: CPU threads gather into pinned staging, then cudaMemcpyAsync to the GPU' },
  { name: 'zerocopy-naive', backend: 'cuda', role: 'candidate', source: 'pcie', axes: [...GATHER, 'alloc', ...KERNEL],
    summary: 'GPU threads read rows from pinned, mapped host memory; lane i reads element i of its row' },
  { name: 'zerocopy-aligned', backend: 'cuda', role: 'candidate', source: 'pcie', axes: [...GATHER, 'alloc', ...KERNEL],
    summary: 'PyTorch-Direct: zero-copy with each warp starting on a 128-byte boundary' },
  { name: 'device-resident', backend: 'cuda', role: 'upper-bound', source: 'gpu-memory', axes: [...GATHER, ...KERNEL],
    summary: 'the same gather with the table in GPU memory: the upper bound, where it fits' },
  { name: 'copy-engine-rows', backend: 'cuda', role: 'candidate', source: 'pcie', axes: [...GATHER, 'alloc', 'device', 'gpus'],
    summary: "the GPU's copy engines: one cudaMemcpyAsync per row (adjacent rows merged) from the pinned table" },
  { name: 'copy-engine-batch', backend: 'cuda', role: 'candidate', source: 'pcie', axes: [...GATHER, 'alloc', 'device', 'gpus'],
    summary: 'the copy engines handed the whole gather in one cudaMemcpyBatchAsync, one entry per row (CUDA 12.8+)' },
  { name: 'cached-zerocopy', backend: 'cuda', role: 'candidate', source: 'pcie', axes: [...GATHER, 'alloc', ...KERNEL, 'cache'],
    summary: 'the hottest rows kept in GPU memory (chosen from a warm-up trace), the misses read by aligned zero-copy, in one kernel' },
  { name: 'zerocopy-sorted', backend: 'cuda', role: 'candidate', source: 'pcie', axes: [...GATHER, 'alloc', ...KERNEL],
    summary: "what DGL and GraphBolt do: the batch's indices radix-sorted on the GPU (inside the timed region), gathered in table order with the aligned kernel and the widest loads the row allows (up to 16 B, unless vector is set), each row written back to its place" },
  { name: 'torch-pageable', backend: 'peer', role: 'peer', source: 'pcie', axes: [...GATHER, 'device'],
    summary: "PyTorch's default: feat[idx].to('cuda') with feat a pageable CPU tensor" },
  { name: 'torch-pinned', backend: 'peer', role: 'peer', source: 'pcie', axes: [...GATHER, 'device'],
    summary: "PyTorch tuned: index_select into a pinned buffer, then .to('cuda', non_blocking=True)" },
  { name: 'dgl-uva', backend: 'peer', role: 'peer', source: 'pcie', axes: [...GATHER, 'device'],
    summary: "DGL's UVA gather: dgl.utils.gather_pinned_tensor_rows on a pinned table with GPU indices (where dgl imports)" },
  { name: 'uvm', backend: 'cuda', role: 'candidate', source: 'gpu-memory', axes: [...GATHER, ...KERNEL, 'uvmAdvise', 'uvmReset'],
    summary: 'the table in cudaMallocManaged memory, with optional cudaMemAdvise hints' },
];

/** The gather methods a training step (step-<method>) runs beside the model's layer. */
export const STEP_GATHERS = ['cpu-gather-memcpy', 'zerocopy-aligned', 'zerocopy-sorted', 'copy-engine-batch', 'cached-zerocopy', 'device-resident'] as const;
const STEP_PREFIX = 'step-';

export function isTrainingStep(method: string): boolean {
  return method.startsWith(STEP_PREFIX);
}

/** The gather method of a training step; the method itself for any other. */
export function gatherOf(method: string): string {
  return isTrainingStep(method) ? method.slice(STEP_PREFIX.length) : method;
}

// Each training step is a method of its own over the same result model: its gather's axes plus the step's.
for (const base of STEP_GATHERS) {
  const g = BASE_METHODS.find((m) => m.name === base)!;
  BASE_METHODS.push({
    name: STEP_PREFIX + base, backend: 'cuda', role: g.role, source: g.source, axes: [...g.axes.filter((a) => a !== 'gpus'), 'step', 'hidden'],
    summary: `a training step: ${base} gathers the batch beside the model's layer on it (a GEMM with a ReLU), serial or pipelined; each sample also times both parts alone`,
  });
}
export const METHODS: readonly MethodSpec[] = BASE_METHODS;

export const METHOD_NAMES = METHODS.map((m) => m.name);

export function methodSpec(name: string): MethodSpec | undefined {
  return METHODS.find((m) => m.name === name);
}

/** 12080 -> "12.8" */
export function cudaVersion(v: number): string {
  return v ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : 'none';
}

export interface Availability {
  method: string;
  available: boolean;
  reason?: string;
}

/**
 * Which methods this machine can run, and why not where it cannot (pass `cuda` where the caller already
 * asked the runtime, `peers` where a peer worker was asked what its Python has).
 */
export function availability(addon: Addon | undefined, loadError?: string, known?: CudaInfo, peers?: PeerInfo): Availability[] {
  if (!addon) return METHODS.map((m) => ({ method: m.name, available: false, reason: loadError ?? 'native addon not loaded' }));
  const build = addon.buildInfo();
  const cuda = build.cuda ? known ?? addon.cudaInfo() : undefined;
  return METHODS.map((m) => {
    if (m.backend === 'host') return { method: m.name, available: true };
    if (m.backend === 'peer') {
      if (!peers) return { method: m.name, available: false, reason: 'a peer method: run asks the Python worker whether it can (torch with CUDA)' };
      const why = peers.reasons[m.name];
      return why ? { method: m.name, available: false, reason: why } : { method: m.name, available: true };
    }
    if (!build.cuda) return { method: m.name, available: false, reason: 'addon built without CUDA (no nvcc at install time)' };
    if (!cuda?.available) return { method: m.name, available: false, reason: cuda?.reason ?? 'no CUDA device' };
    const need = addon.facts().methods.find((f) => f.name === m.name)?.minCuda ?? 0;
    if (need && (cuda.runtimeVersion < need || cuda.driverVersion < need))
      return { method: m.name, available: false, reason: `needs CUDA ${cudaVersion(need)} (runtime ${cudaVersion(cuda.runtimeVersion)}, driver ${cudaVersion(cuda.driverVersion)})` };
    return { method: m.name, available: true };
  });
}
