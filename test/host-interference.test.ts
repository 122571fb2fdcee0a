/** Steal and quota throttling read from /proc and the cgroup files, with no GPU. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostSnapshot, interferenceBetween, interfered, parseCpuStat, parseProcStat } from '../harness/telemetry/host-interference.js';
import { tmpDir } from './helpers.js';

describe('host interference', () => {
  it('reads steal from /proc/stat and throttling from cgroup v2 and v1', () => {
    expect(parseProcStat('cpu  100 5 50 800 10 1 2 32 7 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n')).toEqual({ steal: 32, total: 1000 });
    expect(parseProcStat('intr 1 2 3\n')).toEqual({});
    expect(parseCpuStat('usage_usec 10\nnr_throttled 3\nthrottled_usec 4500\n', 'throttled_usec', 1)).toBe(4500);
    expect(parseCpuStat('nr_periods 9\nthrottled_time 2000000\n', 'throttled_time', 1e-3)).toBe(2000);
    expect(parseCpuStat('usage_usec 10\n', 'throttled_usec', 1)).toBeUndefined();
  });

  it('takes the share stolen and the time throttled between two snapshots', () => {
    const d = tmpDir();
    const stat = path.join(d, 'stat'), v2 = path.join(d, 'cpu.stat');
    const snap = (steal: number, total: number, throttled: number) => {
      writeFileSync(stat, `cpu  ${total - steal} 0 0 0 0 0 0 ${steal} 0 0\n`);
      writeFileSync(v2, `throttled_usec ${throttled}\n`);
      return hostSnapshot({ procStat: stat, cgroup: [[v2, 'throttled_usec', 1]] });
    };
    const h = interferenceBetween(snap(10, 1000, 0), snap(60, 2000, 25_000));
    expect(h.stealPct).toBeCloseTo(5, 12);
    expect(h.throttledMs).toBe(25);
    expect(interfered(h)).toMatch(/5\.0% .* \(steal\), and the container's CPU quota held it back for 25 ms/);
    expect(interfered({ stealPct: 1, throttledMs: 2 })).toBeUndefined();
    // nothing readable: nothing claimed
    expect(interferenceBetween(hostSnapshot({ procStat: path.join(d, 'none'), cgroup: [] }), hostSnapshot({ procStat: path.join(d, 'none'), cgroup: [] }))).toEqual({});
  });
});
