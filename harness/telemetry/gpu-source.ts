/**
 * GPU readings: NVML through the addon (dlopen'ed, so no driver is needed to
 * load it), or nvidia-smi where NVML cannot be loaded.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Addon } from '../native/addon.js';
import type { GpuReading, SourceState } from './types.js';

const run = promisify(execFile);

export interface GpuSource {
  name: 'nvml' | 'nvidia-smi';
  state: SourceState;
  /** readings for each GPU UUID; withPcie asks for PCIe throughput (NVML blocks ~20 ms for it, off the JS thread) */
  sample(uuids: string[], withPcie: boolean): Promise<Record<string, GpuReading>>;
  /** cumulative energy in joules, where the GPU keeps a counter */
  energyJ(uuid: string): number | undefined;
}

function clean(r: Record<string, number>): GpuReading {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v === 'number' && v >= 0)) as GpuReading;
}

export function nvmlSource(addon: Addon): GpuSource | undefined {
  const info = addon.nvmlInfo();
  if (!info.available) return undefined;
  return {
    name: 'nvml',
    state: { ok: true },
    async sample(uuids, withPcie) {
      const rs = await Promise.all(uuids.map((u) => addon.nvmlSample(u, withPcie)));
      return Object.fromEntries(uuids.map((u, i) => [u, clean(rs[i] as unknown as Record<string, number>)]));
    },
    energyJ(uuid) {
      const j = addon.nvmlEnergy(uuid);
      return j >= 0 ? j : undefined;
    },
  };
}

const SMI_FIELDS = ['uuid', 'power.draw', 'clocks.sm', 'clocks.mem', 'utilization.gpu', 'temperature.gpu', 'pcie.link.gen.current', 'pcie.link.width.current'];

export function parseSmi(csv: string): Record<string, GpuReading> {
  const out: Record<string, GpuReading> = {};
  for (const line of csv.trim().split('\n')) {
    const f = line.split(',').map((x) => x.trim());
    if (f.length < SMI_FIELDS.length) continue;
    const n = (s: string) => (Number.isFinite(Number(s)) ? Number(s) : -1);
    out[f[0]] = clean({ powerW: n(f[1]), smClockMHz: n(f[2]), memClockMHz: n(f[3]), gpuUtil: n(f[4]), tempC: n(f[5]), pcieGen: n(f[6]), pcieWidth: n(f[7]) });
  }
  return out;
}

export async function nvidiaSmiSource(): Promise<GpuSource | { reason: string }> {
  const query = async () => (await run('nvidia-smi', [`--query-gpu=${SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], { timeout: 5000 })).stdout;
  try {
    await query();
  } catch (e) {
    return { reason: `nvidia-smi did not run (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  return {
    name: 'nvidia-smi',
    state: { ok: true, detail: 'fallback: no energy counter, no PCIe throughput; energy integrated from power' },
    async sample(uuids) {
      const all = parseSmi(await query());
      return Object.fromEntries(uuids.filter((u) => all[u]).map((u) => [u, all[u]]));
    },
    energyJ: () => undefined,
  };
}
