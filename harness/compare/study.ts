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
import { rng } from '../stats/rng.js';
import { rateUpperBound } from '../stats/binomial-bound.js';
import { runMedians } from './verdict.js';
import type { RunMedians } from './run-model.js';
import { applyConfirmation, compareRunPoints, failsJob, pointsToConfirm, rejudge, type CompareOptions, type PointComparison } from './verdict.js';

export interface PointTally {
  id: string;
  method: string;
  nights: number;
  /** gated slower on unchanged code: false alarms */
  falseSlower: number;
  uncertain: number;
  /** against the slowdown planted in every point: nights it was planted (gated), and called slower */
  planted?: number;
  detected?: number;
}

/** The plants a study measures: every point at once, one method's points, one point alone. */
export type PlantShape = 'every point' | 'one method' | 'one point' | 'slowed runs';

/** Detection counted honestly: every gated planted point is in the denominator; uncertain ones are missed. */
export interface DetectionTally {
  shape: PlantShape;
  /** gated point-judgements that had the slowdown planted */
  planted: number;
  detected: number;
  uncertain: number;
  rate: number;
  comparisons: number;
  byMethod: Record<string, { planted: number; detected: number }>;
}

export interface GateStudy {
  runs: number;
  baselines: number;
  nights: number;
  /** every choice of baselines and candidate; above maxNights, `nights` is a seeded sample of them */
  possibleNights: number;
  falseFailures: number;
  /** false-failure rate per night (nights reuse runs: not independent) */
  falseFailureRate: number;
  /** the candidates are the independent trials: how many, and how many failed on any night */
  candidates: number;
  failingCandidates: number;
  /** the 95% upper confidence bound of the false-night rate those candidates support */
  falseRateUpper95: number;
  points: PointTally[];
  plantedPct?: number;
  detection: DetectionTally[];
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

/** A run whose every timed sample took p (e.g. 0.1) longer: a planted relative slowdown (of the points `where` picks). */
export function plantSlowdown(run: RunResults, p: number, where: (q: PointResult) => boolean = () => true): RunResults {
  const slow = (x: number) => x * (1 + p);
  return {
    ...run,
    points: run.points.map((q): PointResult => {
      if (q.status !== 'ok' || !q.stats || !q.bandwidth || !where(q)) return q;
      return {
        ...q,
        samples: { ...q.samples, total: q.samples.total.map(slow) },
        stats: { ...q.stats, median: slow(q.stats.median), mean: slow(q.stats.mean), min: slow(q.stats.min), max: slow(q.stats.max), p5: slow(q.stats.p5), p95: slow(q.stats.p95), ciLow: slow(q.stats.ciLow), ciHigh: slow(q.stats.ciHigh), stddev: slow(q.stats.stddev) },
        bandwidth: { median: q.bandwidth.median / (1 + p), ciLow: q.bandwidth.ciLow / (1 + p), ciHigh: q.bandwidth.ciHigh / (1 + p) },
      };
    }),
  };
}

/** Each run as its points' median times: a kept history. */
export const mediansOf = (runs: RunResults[]): RunMedians[] => runs.map(runMedians);

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
function confirmed(points: PointComparison[], bases: RunResults[], cand: RunResults, again: RunResults | undefined, o: CompareOptions, history?: RunMedians[]): PointComparison[] {
  const ids = pointsToConfirm(points, cand);
  if (!ids.length || !again) return points;
  return applyConfirmation(points, ids, (id) => rejudge(bases, cand, again.points.find((p) => p.id === id && p.status === 'ok'), o, history)).points;
}

/** Nights on which the one-method and one-point plants are also measured (a seeded sample past it). */
export const SHAPE_NIGHTS = 200;

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
  const shapes = new Map<PlantShape, DetectionTally>();
  /** Counts a judged night against the points that had the slowdown planted (`planted` picks them). */
  const countDetection = (shape: PlantShape, points: PointComparison[], planted: (id: string) => boolean) => {
    if (!shapes.has(shape)) shapes.set(shape, { shape, planted: 0, detected: 0, uncertain: 0, rate: 0, comparisons: 0, byMethod: {} });
    const d = shapes.get(shape)!;
    d.comparisons++;
    for (const p of points) {
      if (p.verdict === 'missing' || p.verdict === 'new' || p.gated === false || !planted(p.id)) continue;
      const m = (d.byMethod[p.method] ??= { planted: 0, detected: 0 });
      const hit = p.verdict === 'slower';
      d.planted++, m.planted++;
      if (hit) d.detected++, m.detected++;
      if (p.verdict === 'uncertain') d.uncertain++;
      if (shape === 'every point') {
        const t = tally(p.id, p.method);
        t.planted = (t.planted ?? 0) + 1;
        if (hit) t.detected = (t.detected ?? 0) + 1;
      }
    }
  };
  let nights = 0, falseFailures = 0;
  const failing = new Set<number>();
  const p = o.plantPct === undefined ? undefined : o.plantPct / 100;
  const plantedAll = p === undefined ? [] : unchanged.map((r) => plantSlowdown(r, p));
  // Past maxNights, a seeded sample of the baseline choices, each with every candidate (12 runs: 1,980 nights)
  const possibleNights = choose(n, k) * (n - k);
  const keep = Math.min(1, (o.maxNights ?? Infinity) / possibleNights);
  const shapeKeep = Math.min(1, SHAPE_NIGHTS / Math.min(possibleNights, o.maxNights ?? Infinity));
  const next = rng(20261123), nextShape = rng(20261204);
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
      if (failsJob(points)) falseFailures++, failing.add(c);
      for (const q of points) {
        if (q.verdict === 'missing' || q.verdict === 'new') continue;
        const t = tally(q.id, q.method);
        t.nights++;
        if (q.verdict === 'slower' && q.gated !== false) t.falseSlower++;
        if (q.verdict === 'uncertain') t.uncertain++;
      }
      if (p === undefined) continue;
      countDetection('every point', judge(plantedAll[c], r === undefined ? undefined : plantedAll[r]), () => true);
      if (shapeKeep < 1 && nextShape() >= shapeKeep) continue;
      const plantWhere = (where: (q: PointResult) => boolean) => judge(plantSlowdown(unchanged[c], p, where), r === undefined ? undefined : plantSlowdown(unchanged[r], p, where));
      for (const method of new Set(unchanged[c].points.map((q) => q.method))) {
        const ids = new Set(unchanged[c].points.filter((q) => q.method === method).map((q) => q.id));
        countDetection('one method', plantWhere((q) => ids.has(q.id)), (id) => ids.has(id));
      }
      for (const q of unchanged[c].points) countDetection('one point', plantWhere((x) => x.id === q.id), (id) => id === q.id);
    }
    const all = o.history ? mediansOf(unchanged.filter((_, i) => !baseIdx.includes(i))) : undefined;
    // a slowed run is confirmed by the next slowed run (there being one)
    slowed.forEach((s, j) => {
      const again = o.confirm && slowed.length > 1 ? slowed[(j + 1) % slowed.length] : undefined;
      countDetection('slowed runs', confirmed(compareRunPoints(bases, s, o, all), bases, s, again, o, all), () => true);
    });
  }
  for (const d of shapes.values()) d.rate = d.planted ? d.detected / d.planted : 0;
  // Nights that share a candidate are one trial: its luck is in all of them.
  const candidates = n;
  return {
    runs: n,
    baselines: k,
    nights,
    possibleNights,
    falseFailures,
    falseFailureRate: nights ? falseFailures / nights : 0,
    candidates,
    failingCandidates: failing.size,
    falseRateUpper95: rateUpperBound(failing.size, candidates),
    points: [...tallies.values()].sort((a, b) => b.falseSlower - a.falseSlower || b.uncertain - a.uncertain || a.id.localeCompare(b.id)),
    ...(o.plantPct === undefined ? {} : { plantedPct: o.plantPct }),
    detection: [...shapes.values()],
  };
}
