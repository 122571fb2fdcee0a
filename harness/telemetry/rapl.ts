/**
 * CPU package and DRAM energy from RAPL (/sys/class/powercap/intel-rapl*),
 * where readable. The counters wrap at max_energy_range_uj.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { SourceState } from './types.js';

export interface RaplZone {
  name: string; // package-0, dram, ...
  file: string;
  maxUj: number;
}

export interface RaplReading {
  package?: number; // microjoules, summed over sockets
  dram?: number;
}

export function findRaplZones(root = '/sys/class/powercap'): { zones: RaplZone[]; state: SourceState } {
  if (!existsSync(root)) return { zones: [], state: { ok: false, reason: `${root} does not exist (no powercap support in this kernel)` } };
  const dirs = readdirSync(root).filter((d) => /^intel-rapl:\d+(:\d+)?$/.test(d));
  if (dirs.length === 0) return { zones: [], state: { ok: false, reason: `no RAPL zones under ${root} (a virtual machine, or a CPU without RAPL)` } };
  const zones: RaplZone[] = [];
  for (const d of dirs) {
    const dir = path.join(root, d);
    try {
      const name = readFileSync(path.join(dir, 'name'), 'utf8').trim();
      readFileSync(path.join(dir, 'energy_uj'), 'utf8');
      zones.push({ name, file: path.join(dir, 'energy_uj'), maxUj: Number(readFileSync(path.join(dir, 'max_energy_range_uj'), 'utf8')) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { zones: [], state: { ok: false, reason: code === 'EACCES' ? `${dir}/energy_uj is not readable (root only since Linux 5.10)` : `${dir}: ${(e as Error).message}` } };
    }
  }
  return { zones, state: { ok: true, detail: zones.map((z) => z.name).join(', ') } };
}

export function readRapl(zones: RaplZone[]): RaplReading {
  const r: RaplReading = {};
  for (const z of zones) {
    const v = Number(readFileSync(z.file, 'utf8'));
    if (z.name.startsWith('package')) r.package = (r.package ?? 0) + v;
    else if (z.name === 'dram') r.dram = (r.dram ?? 0) + v;
  }
  return r;
}

/** Joules between two readings of one counter, allowing for one wrap. */
export function raplDeltaJ(before: number | undefined, after: number | undefined, maxUj: number): number | undefined {
  if (before === undefined || after === undefined) return undefined;
  const d = after >= before ? after - before : after + maxUj - before;
  return d / 1e6;
}
