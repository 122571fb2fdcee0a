import { UserError } from './errors.js';

const BINARY: Record<string, number> = { '': 1, b: 1, k: 1024, ki: 1024, kib: 1024, kb: 1e3, m: 1024 ** 2, mi: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gi: 1024 ** 3, gib: 1024 ** 3, gb: 1e9, t: 1024 ** 4, ti: 1024 ** 4, tib: 1024 ** 4, tb: 1e12 };

/** "256MiB", "1.5 GiB", "4096", 4096 -> bytes. Returns undefined when not a size. */
export function parseBytes(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*$/i.exec(v);
  if (!m) return undefined;
  const unit = BINARY[m[2].toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** "90s", "2m", "500ms", 3 -> seconds. */
export function parseSeconds(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|min)?\s*$/.exec(v);
  if (!m) throw new UserError(`not a duration: '${v}' (use e.g. 500ms, 2s, 1m)`);
  const x = Number(m[1]);
  return m[2] === 'ms' ? x / 1e3 : m[2] === 'm' || m[2] === 'min' ? x * 60 : x;
}

export function formatBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (Math.abs(b) >= 1024 && u < units.length - 1) {
    b /= 1024;
    u++;
  }
  return u === 0 ? `${b} B` : `${Number(b.toFixed(2))} ${units[u]}`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(3)} ms`;
  return `${s.toFixed(2)} s`;
}
