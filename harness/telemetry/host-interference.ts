/**
 * What the machine under this process took away while a point sampled: CPU time the hypervisor gave to
 * other guests (steal, /proc/stat) and time the container's CPU quota held the process back (cgroup
 * cpu.stat). A rented GPU host's CPU paths slow down 2-3x for minutes when this happens (12 nightlies on
 * one H100: two consecutive runs at 4 of 8 cores' worth of CPU time for the CPU gather); the gate reads
 * it to say `uncertain` instead of failing a night. Two small file reads, outside the timed samples.
 */
import { readFileSync } from 'node:fs';

export interface HostSnapshot {
  /** aggregate /proc/stat jiffies: steal and the total of every state */
  steal?: number;
  total?: number;
  /** cgroup CPU throttling so far, microseconds */
  throttledUs?: number;
}

/** Over a point's sampling: steal as a percentage of all CPU time, and quota throttling in ms (absent where unreadable). */
export interface HostInterference {
  stealPct?: number;
  throttledMs?: number;
}

const CGROUP_STATS: [file: string, key: string, toUs: number][] = [
  ['/sys/fs/cgroup/cpu.stat', 'throttled_usec', 1], // cgroup v2
  ['/sys/fs/cgroup/cpu/cpu.stat', 'throttled_time', 1e-3], // cgroup v1, nanoseconds
];

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** Steal from the first line of /proc/stat ("cpu user nice system idle iowait irq softirq steal ..."). */
export function parseProcStat(text: string): Pick<HostSnapshot, 'steal' | 'total'> {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  const f = line?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return {};
  // guest and guest_nice (fields 9, 10) are already inside user and nice
  return { steal: f[7], total: f.slice(0, 8).reduce((a, b) => a + b, 0) };
}

export function parseCpuStat(text: string, key: string, toUs: number): number | undefined {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) * toUs : undefined;
}

export function hostSnapshot(files: { procStat?: string; cgroup?: typeof CGROUP_STATS } = {}): HostSnapshot {
  const stat = read(files.procStat ?? '/proc/stat');
  let throttledUs: number | undefined;
  for (const [file, key, toUs] of files.cgroup ?? CGROUP_STATS) {
    const text = read(file);
    throttledUs = text === undefined ? undefined : parseCpuStat(text, key, toUs);
    if (throttledUs !== undefined) break;
  }
  return { ...(stat ? parseProcStat(stat) : {}), ...(throttledUs !== undefined ? { throttledUs } : {}) };
}

export function interferenceBetween(a: HostSnapshot, b: HostSnapshot): HostInterference {
  const out: HostInterference = {};
  // no tick elapsed (a point shorter than a jiffy): nothing stolen that the kernel could count
  if (a.steal !== undefined && b.steal !== undefined && a.total !== undefined && b.total !== undefined)
    out.stealPct = b.total > a.total ? (100 * (b.steal - a.steal)) / (b.total - a.total) : 0;
  if (a.throttledUs !== undefined && b.throttledUs !== undefined) out.throttledMs = (b.throttledUs - a.throttledUs) / 1e3;
  return out;
}

/**
 * The largest slowdown (time ratio) interference is taken to explain: the busiest episode seen took the
 * host-only copies 2-3x longer (docs/nightly-ci.md, runs 6 and 7 of machine A); 4x leaves a margin. A move
 * beyond it is judged on its own: a few percent of steal does not make a gather 6x slower, and excusing it
 * would let a busy CI machine hide any regression.
 */
export const INTERFERENCE_EXPLAINS_UP_TO = 4;

/** Enough to doubt a time: 2% of the machine's CPU time stolen, or any quota throttling (10 ms and up). */
export function interfered(h: HostInterference | undefined): string | undefined {
  if (!h) return undefined;
  const why = [
    h.stealPct !== undefined && h.stealPct >= 2 ? `the hypervisor gave ${h.stealPct.toFixed(1)}% of this machine's CPU time to other guests (steal)` : '',
    h.throttledMs !== undefined && h.throttledMs >= 10 ? `the container's CPU quota held it back for ${h.throttledMs.toFixed(0)} ms` : '',
  ].filter(Boolean);
  return why.length ? why.join(', and ') : undefined;
}
