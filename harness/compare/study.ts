/**
 * A study of the gate itself: given N runs of unchanged code, every way of
 * choosing k of them as baselines and one of the rest as the candidate is a
 * "night"; a night fails when the gate would fail the job. That is the
 * false-failure rate per night. Detection: the same nights against a planted
 * slowdown (each candidate sample stretched by p of itself, the same thing
 * GATHERBENCH_TEST_SLOWDOWN_PCT does on the GPU) or against runs made with one,
 * counting the points called slower among those not uncertain.
 */
import type { PointResult, RunResults } from '../results/model.js';
import { compareRunPoints, failsJob, type CompareOptions, type Verdict } from './verdict.js';

export interface PointTally {
  id: string;
  method: string;
  nights: number;
  /** gated slower on unchanged code: false alarms */
  falseSlower: number;
  uncertain: number;
  /** against the planted slowdown: called slower / judged (not uncertain, not ungated) */
  detected?: number;
  judged?: number;
}

export interface GateStudy {
  runs: number;
  baselines: number;
  nights: number;
  falseFailures: number;
  /** false-failure rate per night */
  falseFailureRate: number;
  points: PointTally[];
  /** points judged (not uncertain) against the slowdown, and of those called slower */
  detection?: { plantedPct?: number; slowedRuns?: number; judged: number; detected: number; rate: number; uncertain: number; comparisons: number };
}

/** Every k-subset of [0, n). */
export function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push([...acc]);
    for (let i = start; i < n; i++) pick(i + 1, [...acc, i]);
  };
  pick(0, []);
  return out;
}

/** A run whose every timed sample took p (e.g. 0.1) longer: a planted relative slowdown. */
export function plantSlowdown(run: RunResults, p: number): RunResults {
  const slow = (x: number) => x * (1 + p);
  return {
    ...run,
    points: run.points.map((q): PointResult => {
      if (q.status !== 'ok' || !q.stats || !q.bandwidth) return q;
      return {
        ...q,
        samples: { ...q.samples, total: q.samples.total.map(slow) },
        stats: { ...q.stats, median: slow(q.stats.median), mean: slow(q.stats.mean), min: slow(q.stats.min), max: slow(q.stats.max), p5: slow(q.stats.p5), p95: slow(q.stats.p95), ciLow: slow(q.stats.ciLow), ciHigh: slow(q.stats.ciHigh), stddev: slow(q.stats.stddev) },
        bandwidth: { median: q.bandwidth.median / (1 + p), ciLow: q.bandwidth.ciLow / (1 + p), ciHigh: q.bandwidth.ciHigh / (1 + p) },
      };
    }),
  };
}

/** Per point, its median time in each of these runs. */
export function mediansOf(runs: RunResults[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of runs) for (const p of r.points) if (p.status === 'ok' && p.stats) out.set(p.id, [...(out.get(p.id) ?? []), p.stats.median]);
  return out;
}

/**
 * history: the documented workflow keeps a history of nightly runs, so each
 * night's noise estimate may use every other unchanged run (not only its k
 * baselines); false: baselines only.
 */
export function studyGate(
  unchanged: RunResults[],
  o: CompareOptions & { baselines: number; plantPct?: number; slowed?: RunResults[]; history?: boolean },
): GateStudy {
  const n = unchanged.length, k = o.baselines;
  if (n < k + 1) throw new Error(`a study with ${k} baseline run(s) needs at least ${k + 1} runs, got ${n}`);
  const tallies = new Map<string, PointTally>();
  const tally = (id: string, method: string) => {
    if (!tallies.has(id)) tallies.set(id, { id, method, nights: 0, falseSlower: 0, uncertain: 0 });
    return tallies.get(id)!;
  };
  let nights = 0, falseFailures = 0;
  let judged = 0, detected = 0, uncertain = 0, comparisons = 0;
  const countDetection = (points: { id: string; method: string; verdict: Verdict; gated?: boolean }[]) => {
    comparisons++;
    for (const p of points) {
      if (p.verdict === 'missing' || p.verdict === 'new' || p.gated === false) continue;
      const t = tally(p.id, p.method);
      if (p.verdict === 'uncertain') {
        uncertain++;
        continue;
      }
      judged++;
      t.judged = (t.judged ?? 0) + 1;
      if (p.verdict === 'slower') {
        detected++;
        t.detected = (t.detected ?? 0) + 1;
      }
    }
  };
  for (const baseIdx of combinations(n, k)) {
    const bases = baseIdx.map((i) => unchanged[i]);
    for (let c = 0; c < n; c++) {
      if (baseIdx.includes(c)) continue;
      const history = o.history ? mediansOf(unchanged.filter((_, i) => i !== c && !baseIdx.includes(i))) : undefined;
      const points = compareRunPoints(bases, unchanged[c], o, history);
      nights++;
      if (failsJob(points)) falseFailures++;
      for (const p of points) {
        if (p.verdict === 'missing' || p.verdict === 'new') continue;
        const t = tally(p.id, p.method);
        t.nights++;
        if (p.verdict === 'slower' && p.gated !== false) t.falseSlower++;
        if (p.verdict === 'uncertain') t.uncertain++;
      }
      if (o.plantPct !== undefined) countDetection(compareRunPoints(bases, plantSlowdown(unchanged[c], o.plantPct / 100), o, history));
    }
    const all = o.history ? mediansOf(unchanged.filter((_, i) => !baseIdx.includes(i))) : undefined;
    for (const s of o.slowed ?? []) countDetection(compareRunPoints(bases, s, o, all));
  }
  const detecting = o.plantPct !== undefined || (o.slowed?.length ?? 0) > 0;
  return {
    runs: n,
    baselines: k,
    nights,
    falseFailures,
    falseFailureRate: nights ? falseFailures / nights : 0,
    points: [...tallies.values()].sort((a, b) => b.falseSlower - a.falseSlower || b.uncertain - a.uncertain || a.id.localeCompare(b.id)),
    ...(detecting ? { detection: { plantedPct: o.plantPct, slowedRuns: o.slowed?.length, judged, detected, rate: judged ? detected / judged : 0, uncertain, comparisons } } : {}),
  };
}
