/**
 * A study of the gate itself: given N runs of unchanged code, every way of
 * choosing k of them as baselines and one of the rest as the candidate is a
 * "night"; a night fails when the gate would fail the job. That is the
 * false-failure rate per night. Detection: the same nights against a planted
 * slowdown (each candidate sample stretched by p of itself, the same thing
 * GATHERBENCH_TEST_SLOWDOWN_PCT does on the GPU) or against runs made with one,
 * counting the points called slower among those not uncertain.
 * With confirmation (the documented workflow, compare --confirm), a point
 * called slower is judged again on the run made next after the candidate (the
 * nearest before it, for the last), left out of the night's baselines and
 * history: the fresh re-measure that compare makes right after a nightly run.
 */
import type { PointResult, RunResults } from '../results/model.js';
import { rng } from './stats.js';
import { applyConfirmation, compareRunPoints, failsJob, pointsToConfirm, rejudge, type CompareOptions, type PointComparison, type Verdict } from './verdict.js';

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
  /** every choice of baselines and candidate; above maxNights, `nights` is a seeded sample of them */
  possibleNights: number;
  falseFailures: number;
  /** false-failure rate per night */
  falseFailureRate: number;
  points: PointTally[];
  /** points judged (not uncertain) against the slowdown, and of those called slower */
  detection?: { plantedPct?: number; slowedRuns?: number; judged: number; detected: number; rate: number; uncertain: number; comparisons: number };
}

/** Every k-subset of [0, n), in lexicographic order, one at a time (a year of nightlies has millions). */
export function* combinationsOf(n: number, k: number): Generator<number[]> {
  const c = Array.from({ length: k }, (_, i) => i);
  while (k <= n) {
    yield [...c];
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i]++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
  }
}

const choose = (n: number, k: number) => {
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return Math.round(r);
};

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

/** Runs in the order they were made (startedAt), ties and unknown times in the order given. */
const byTime = (runs: RunResults[]) => runs.map((r, i) => ({ r, i })).sort((a, b) => (a.r.startedAt ?? '').localeCompare(b.r.startedAt ?? '') || a.i - b.i).map((x) => x.r);

/** The run that re-measures candidate c: the next one in time that is neither c nor excluded, else the nearest before. */
function confirmerOf(c: number, n: number, excluded: number[]): number | undefined {
  const free = (i: number) => i !== c && !excluded.includes(i);
  for (let i = c + 1; i < n; i++) if (free(i)) return i;
  for (let i = c - 1; i >= 0; i--) if (free(i)) return i;
  return undefined;
}

/** A night's points after confirmation: each slower point judged again on the re-measuring run. */
function confirmed(points: PointComparison[], bases: RunResults[], cand: RunResults, again: RunResults | undefined, o: CompareOptions, history?: ReadonlyMap<string, number[]>): PointComparison[] {
  const ids = pointsToConfirm(points, cand);
  if (!ids.length || !again) return points;
  return applyConfirmation(points, ids, (id) => rejudge(bases, again.points.find((p) => p.id === id && p.status === 'ok'), o, history)).points;
}

/**
 * history: the documented workflow keeps a history of nightly runs, so each
 * night's noise estimate may use every other unchanged run (not only its k
 * baselines); false: baselines only. confirm: model compare --confirm (see above).
 */
export function studyGate(
  given: RunResults[],
  o: CompareOptions & { baselines: number; plantPct?: number; slowed?: RunResults[]; history?: boolean; confirm?: boolean; maxNights?: number },
): GateStudy {
  const unchanged = byTime(given), slowed = byTime(o.slowed ?? []);
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
  const planted = o.plantPct === undefined ? [] : unchanged.map((r) => plantSlowdown(r, o.plantPct! / 100));
  // Past maxNights, a seeded sample of the baseline choices, each with every candidate (12 runs: 1,980 nights)
  const possibleNights = choose(n, k) * (n - k);
  const keep = Math.min(1, (o.maxNights ?? Infinity) / possibleNights);
  const next = rng(20261123);
  for (const baseIdx of combinationsOf(n, k)) {
    if (keep < 1 && next() >= keep) continue;
    const bases = baseIdx.map((i) => unchanged[i]);
    for (let c = 0; c < n; c++) {
      if (baseIdx.includes(c)) continue;
      const r = o.confirm ? confirmerOf(c, n, baseIdx) : undefined;
      const history = o.history ? mediansOf(unchanged.filter((_, i) => i !== c && i !== r && !baseIdx.includes(i))) : undefined;
      const judge = (cand: RunResults, again: RunResults | undefined) => confirmed(compareRunPoints(bases, cand, o, history), bases, cand, again, o, history);
      const points = judge(unchanged[c], r === undefined ? undefined : unchanged[r]);
      nights++;
      if (failsJob(points)) falseFailures++;
      for (const p of points) {
        if (p.verdict === 'missing' || p.verdict === 'new') continue;
        const t = tally(p.id, p.method);
        t.nights++;
        if (p.verdict === 'slower' && p.gated !== false) t.falseSlower++;
        if (p.verdict === 'uncertain') t.uncertain++;
      }
      if (o.plantPct !== undefined) countDetection(judge(planted[c], r === undefined ? undefined : planted[r]));
    }
    const all = o.history ? mediansOf(unchanged.filter((_, i) => !baseIdx.includes(i))) : undefined;
    // a slowed run is confirmed by the next slowed run (there being one)
    slowed.forEach((s, j) => {
      const again = o.confirm && slowed.length > 1 ? slowed[(j + 1) % slowed.length] : undefined;
      countDetection(confirmed(compareRunPoints(bases, s, o, all), bases, s, again, o, all));
    });
  }
  const detecting = o.plantPct !== undefined || slowed.length > 0;
  return {
    runs: n,
    baselines: k,
    nights,
    possibleNights,
    falseFailures,
    falseFailureRate: nights ? falseFailures / nights : 0,
    points: [...tallies.values()].sort((a, b) => b.falseSlower - a.falseSlower || b.uncertain - a.uncertain || a.id.localeCompare(b.id)),
    ...(detecting ? { detection: { plantedPct: o.plantPct, slowedRuns: slowed.length || undefined, judged, detected, rate: judged ? detected / judged : 0, uncertain, comparisons } } : {}),
  };
}
