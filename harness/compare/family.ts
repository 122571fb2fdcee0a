/**
 * Which points share their run-to-run noise, so compare may pool it (run-model.ts). Measured on H100 and
 * H200 nightlies: the gathers from GPU memory move under 0.5% between runs, the GPU's reads over PCIe
 * (zero-copy, copy engines, the pinned copy) about as little, and every path whose work CPU threads do
 * 10-50%, tenfold more; pooling across that line would drown the quiet families in the loud one.
 */
import { methodSpec } from '../methods.js';

export type NoiseFamily = 'gpu-memory' | 'gpu-reads-pcie' | 'cpu-threads' | 'peer';

export function noiseFamily(method: string): NoiseFamily {
  const m = methodSpec(method);
  if (!m) return 'cpu-threads';
  if (m.backend === 'peer') return 'peer';
  if (m.backend === 'host' || m.axes.includes('threads')) return 'cpu-threads';
  return m.source === 'gpu-memory' ? 'gpu-memory' : 'gpu-reads-pcie';
}
