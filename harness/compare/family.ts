/**
 * Which methods share their run-to-run noise, so compare may pool its variance (run-model.ts). Measured on
 * H100 and H200 nightlies: the gathers from GPU memory (device-resident, uvm) move 0.2-0.9% between runs, the
 * GPU threads' reads over PCIe (zero-copy naive and aligned) 0.2-0.5% at most points; those pool. The copy
 * engines do not pool with them (pinned-memcpy's 128 B and 400 B points moved up to 2x between H100 runs), and
 * every path whose work CPU threads do moves 8-45%, each method on its own (the CPU gather took 50% longer in
 * two runs in a row where the host-only copies did not move): each of those is a family of one method.
 */
import { methodSpec } from '../methods.js';

export function noiseFamily(method: string): string {
  const m = methodSpec(method);
  if (!m || m.backend !== 'cuda' || m.axes.includes('threads')) return method;
  if (m.source === 'gpu-memory') return 'gpu-memory';
  return m.axes.includes('mapping') ? 'gpu-threads-over-pcie' : method;
}
