/**
 * Where a run's wall time went. The harness's own cost is a product metric:
 * the share of wall time spent inside timed regions, and what the rest was
 * spent on. Points carry their part; the run adds start-up, table setup, the
 * idle window, the report, and what nothing accounts for ("other"), so that the
 * parts add up to the wall time exactly.
 */

export const TIMING_PARTS = ['timed', 'startup', 'setup', 'warmup', 'verify', 'flush', 'launch', 'telemetry', 'idle', 'report', 'other'] as const;
export type TimingPart = (typeof TIMING_PARTS)[number];

/** What each part means, for the report and the docs. */
export const TIMING_DOC: Record<TimingPart, string> = {
  timed: 'inside timed regions: the samples that count',
  startup: 'before the first point: the addon, CUDA and the devices, the peer worker\'s Python, reading the machine',
  setup: 'tables (allocate, fill, pin), per-point preparation, drawing and loading index sets',
  warmup: 'untimed runs: the first run of each index set, extra warm-up',
  verify: 'thorough verification of each index set, and the checksum of every timed output',
  flush: 'evicting GPU caches and translation state, poisoning outputs, between samples',
  launch: 'inside a sample call but outside its timed region: the launch gate, waking up after the GPU',
  telemetry: 'opening the sources (NVML, the sampler\'s own cost), and the power and CPU windows after each point',
  idle: 'the idle window at the start (idle power)',
  report: 'writing results, the report and summary',
  other: 'everything else: the harness between points, N-API calls, process start',
};

export type Timing = Record<`${TimingPart}Seconds`, number> & { wallSeconds: number };

export function emptyTiming(): Timing {
  return Object.fromEntries([['wallSeconds', 0], ...TIMING_PARTS.map((p) => [`${p}Seconds`, 0])]) as Timing;
}

/** Adds b's parts (not its wall time) into a. */
export function addTiming(a: Timing, b: Partial<Timing>): Timing {
  for (const p of TIMING_PARTS) a[`${p}Seconds`] += b[`${p}Seconds`] ?? 0;
  return a;
}

/** Sets wall time and makes "other" the remainder, so the parts add up. */
export function closeTiming(t: Timing, wallSeconds: number): Timing {
  t.wallSeconds = wallSeconds;
  const known = TIMING_PARTS.filter((p) => p !== 'other').reduce((s, p) => s + t[`${p}Seconds`], 0);
  t.otherSeconds = Math.max(0, wallSeconds - known);
  return t;
}

/** The run's closing line, e.g. "timed 58% of 71 s: verify 14%, setup 11%, telemetry 9%, other 8%". */
export function timingLine(t: Timing): string {
  const pct = (s: number) => (t.wallSeconds > 0 ? (100 * s) / t.wallSeconds : 0);
  const rest = TIMING_PARTS.filter((p) => p !== 'timed')
    .map((p) => [p, pct(t[`${p}Seconds`])] as const)
    .filter(([, v]) => v >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([p, v]) => `${p} ${v.toFixed(0)}%`);
  const wall = t.wallSeconds >= 10 ? t.wallSeconds.toFixed(0) : t.wallSeconds.toFixed(1);
  return `timed ${pct(t.timedSeconds).toFixed(t.timedSeconds / (t.wallSeconds || 1) < 0.1 ? 1 : 0)}% of ${wall} s${rest.length ? `: ${rest.join(', ')}` : ''}`;
}

/** What one method's points cost a run: their wall time, and how much of it was timed. */
export interface MethodCost {
  method: string;
  wallSeconds: number;
  timedSeconds: number;
}

/**
 * Each method's points' wall and timed seconds, costliest first: which method a
 * nightly job pays for (a method whose points are mostly setup and warm-up
 * shows a small timed share). What no point holds (tables, start-up, idle
 * window, report) is the run's wall time less the points'.
 */
export function costByMethod(points: readonly { method: string; timing?: Timing }[]): MethodCost[] {
  const by = new Map<string, MethodCost>();
  for (const p of points) {
    if (!p.timing) continue;
    const c = by.get(p.method) ?? { method: p.method, wallSeconds: 0, timedSeconds: 0 };
    c.wallSeconds += p.timing.wallSeconds;
    c.timedSeconds += p.timing.timedSeconds;
    by.set(p.method, c);
  }
  return [...by.values()].sort((a, b) => b.wallSeconds - a.wallSeconds);
}

/** e.g. "by method: uvm 42 s (0.1% timed), cpu-gather-memcpy 15 s (41% timed), ...; outside points 8 s" */
export function costLine(costs: readonly MethodCost[], run: Timing): string {
  const s = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
  const share = (c: MethodCost) => {
    const v = c.wallSeconds > 0 ? (100 * c.timedSeconds) / c.wallSeconds : 0;
    return v < 1 ? v.toFixed(1) : v.toFixed(0);
  };
  const inPoints = costs.reduce((a, c) => a + c.wallSeconds, 0);
  const methods = costs.map((c) => `${c.method} ${s(c.wallSeconds)} s (${share(c)}% timed)`).join(', ');
  return `by method: ${methods}; outside points ${s(Math.max(0, run.wallSeconds - inPoints))} s (tables, start-up, idle window, report)`;
}

/** The run's cost by method, where it has more than one method (with one, the accounting line says it all). */
export function runCostLine(points: readonly { method: string; timing?: Timing }[], run: Timing): string | undefined {
  const costs = costByMethod(points);
  return costs.length > 1 ? costLine(costs, run) : undefined;
}
