/**
 * Verdicts of an interleaved A/B job from its paired rounds. In round k both sides measured every point, one
 * right after the other on the same machine; the point's evidence is its paired time ratios r_k = B_k / A_k,
 * one per round. Rounds, not samples, are the unit of replication: each side's process allocates, pins and
 * places its own memory, so samples of one process share its luck, and only new processes average it out.
 *
 * Per point, on ln r_k (a ratio's noise is symmetric in logs): the estimate is their mean (the geometric mean
 * paired ratio, the centre of its own interval: one statistic for both), the interval is Student's t at the
 * level the night's false rate leaves each test. That rate (alpha, 1 night in 50 by default) is shared out
 * Bonferroni-wise over the gated points and over the looks an early stop may take, so a job that peeks after
 * every pair of rounds still fails unchanged code at most alpha of the nights.
 *
 *   slower     the interval lies above 1 and reaches past the threshold (a threshold-sized slowdown cannot be
 *              ruled out)
 *   faster     the mirror image
 *   same       the interval lies inside the threshold band (a real change smaller than the threshold is same)
 *   uncertain  anything else: the rounds cannot tell; a gate counts it as a missed point, never a pass
 */
import type { PointResult, RunResults } from '../results/model.js';
import { methodSpec } from '../methods.js';
import { tCdf, tQuantile } from '../stats/student-t.js';
import { median as medianOf } from '../stats/quantile.js';
import type { PointComparison } from '../compare/verdict.js';

export interface PairedOptions {
  threshold: number;
  /** the family-wise false rate of a job: P(any gated point called slower | nothing changed) */
  alpha: number;
  /** how many looks the job's early stop may take (each spends alpha / looks) */
  looks: number;
  gateCeilings?: boolean;
}

export interface Round {
  a: RunResults;
  b: RunResults;
}

/** A point's paired evidence: per round, B's median time over A's. */
export interface PairedPoint {
  id: string;
  method: string;
  ratios: number[];
  /** per round, the SE of ln(ratio) the two runs' own sample CIs imply (NaN where a run has no CI) */
  ses: number[];
  /** A's and B's median bandwidths over the rounds, GB/s */
  aGBps?: number;
  bGBps?: number;
  /** B failed where A measured (in any round): a failure, not a time */
  failedInB?: string;
  failedInA?: string;
}

const isCeiling = (method: string) => methodSpec(method)?.role === 'ceiling';
export const isGated = (method: string, gateCeilings = false) => !isCeiling(method) || gateCeilings;


/** The paired ratios of every point measured in the rounds, in the order of round 1's points. */
export function pairPoints(rounds: Round[]): PairedPoint[] {
  const out = new Map<string, PairedPoint & { aBw: number[]; bBw: number[] }>();
  for (const { a, b } of rounds) {
    const inB = new Map(b.points.map((p) => [p.id, p]));
    for (const pa of a.points) {
      const pb = inB.get(pa.id);
      if (!pb) continue;
      const e = out.get(pa.id) ?? { id: pa.id, method: pa.method, ratios: [], ses: [], aBw: [], bBw: [] };
      out.set(pa.id, e);
      if (pa.status === 'ok' && pb.status !== 'ok') e.failedInB ??= `${pb.status}: ${pb.reason ?? ''}`.trim();
      else if (pa.status !== 'ok' && pb.status === 'ok') e.failedInA ??= `${pa.status}: ${pa.reason ?? ''}`.trim();
      else if (pa.status === 'ok' && okTime(pa) && okTime(pb)) {
        e.ratios.push(pb.stats!.median / pa.stats!.median);
        e.ses.push(Math.hypot(seOfLogMedian(pa), seOfLogMedian(pb)));
        e.aBw.push(pa.bandwidth!.median);
        e.bBw.push(pb.bandwidth!.median);
      }
    }
  }
  return [...out.values()].map(({ aBw, bBw, ...p }) => ({ ...p, aGBps: aBw.length ? medianOf(aBw) : undefined, bGBps: bBw.length ? medianOf(bBw) : undefined }));
}

const okTime = (p: PointResult) => !!p.stats && p.stats.median > 0 && !!p.bandwidth;

/** The SE of ln(median) that a point's 95% CI of the median implies. */
const seOfLogMedian = (p: PointResult) => (Number.isFinite(p.stats!.ciHigh) && Number.isFinite(p.stats!.ciLow) ? Math.log(p.stats!.ciHigh / p.stats!.ciLow) / 2 / 1.96 : NaN);

/** Mean and standard deviation of the ratios' logs (a ratio's noise is symmetric in logs). */
export function logSpread(ratios: number[]): { mean: number; sd: number } {
  const x = ratios.map(Math.log), n = x.length;
  const mean = x.reduce((s, v) => s + v, 0) / n;
  return { mean, sd: Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) };
}

/** The one-sided level each test gets: alpha over the gated points and the looks. */
export function perTestLevel(o: PairedOptions, gatedPoints: number): number {
  return o.alpha / Math.max(1, gatedPoints) / Math.max(1, o.looks);
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** One point's verdict from its paired ratios, at one-sided level `level` per side. */
export function judgePaired(p: PairedPoint, o: PairedOptions, level: number): PointComparison {
  const gated = isGated(p.method, o.gateCeilings);
  const base: PointComparison = { id: p.id, method: p.method, verdict: 'uncertain', gated, baselineGBps: p.aGBps, candidateGBps: p.bGBps };
  if (p.failedInB) return { ...base, verdict: 'slower', gated: true, note: `${p.failedInB} in the candidate` };
  if (p.failedInA && !p.ratios.length) return { ...base, verdict: 'faster', note: `${p.failedInA} in the baseline, ok in the candidate` };
  const n = p.ratios.length;
  if (n < 2) return { ...base, note: `${n} round(s) measured it on both sides: too few to judge` };
  const { mean, sd } = logSpread(p.ratios);
  const se = sd / Math.sqrt(n);
  const q = tQuantile(1 - level, n - 1);
  const lo = Math.exp(mean - q * se), hi = Math.exp(mean + q * se), ratio = Math.exp(mean);
  const up = 1 + o.threshold, down = 1 / up;
  // one-sided p of "no slowdown" (or of "no speed-up", whichever way it moved)
  const pValue = se > 0 ? 1 - tCdf(Math.abs(mean) / se, n - 1) : mean === 0 ? 1 : 0;
  const stats = { timeRatio: ratio, ratioCi: [lo, hi] as [number, number], p: pValue, runs: n, runSpread: Math.expm1(sd) };
  if (lo > 1 && hi > up) return { ...base, ...stats, verdict: 'slower', ...(gated ? {} : { note: 'a copy ceiling: reported, not gated (--gate-ceilings gates it)' }) };
  if (hi < 1 && lo < down) return { ...base, ...stats, verdict: 'faster' };
  if (lo >= down && hi <= up) return { ...base, ...stats, verdict: 'same', ...(lo > 1 || hi < 1 ? { note: `a real change of ${pct(ratio - 1)}, inside the threshold` } : {}) };
  return { ...base, ...stats, verdict: 'uncertain', note: `${n} rounds cannot tell: paired ratio ${ratio.toFixed(3)}, interval ${lo.toFixed(3)}-${hi.toFixed(3)} (rounds spread ±${(Math.expm1(sd) * 100).toFixed(1)}%)` };
}

/** Every point's verdict, the pairs they came from, and the level each test got (the job's alpha over the gated points paired and the looks). */
export function pairedVerdicts(rounds: Round[], o: PairedOptions): { paired: PairedPoint[]; points: PointComparison[]; level: number } {
  const paired = pairPoints(rounds);
  const level = perTestLevel(o, paired.filter((p) => isGated(p.method, o.gateCeilings)).length);
  const { a, b } = rounds[0];
  const inA = new Set(a.points.map((p) => p.id)), inB = new Set(b.points.map((p) => p.id));
  const points = [
    ...paired.map((p) => judgePaired(p, o, level)),
    ...a.points.filter((p) => !inB.has(p.id)).map((p): PointComparison => ({ id: p.id, method: p.method, verdict: 'missing', note: 'not measured by the candidate' })),
    ...b.points.filter((p) => !inA.has(p.id)).map((p): PointComparison => ({ id: p.id, method: p.method, verdict: 'new', note: 'not measured by the baseline' })),
  ];
  return { paired, points, level };
}

/**
 * Whether an uncertain point could still be resolved by `cap` rounds, were its paired ratios to keep their mean
 * and spread: a CPU path whose rounds spread 20% cannot show a 5% change in ten rounds, and waiting for it
 * only lengthens the job. (A stopping rule only: the false rate is already shared over every look.)
 */
export function resolvableBy(p: PointComparison, cap: number, o: PairedOptions, level: number): boolean {
  if (p.runSpread === undefined || p.timeRatio === undefined) return true; // too few rounds yet to tell
  const mean = Math.log(p.timeRatio), w = (tQuantile(1 - level, cap - 1) * Math.log1p(p.runSpread)) / Math.sqrt(cap);
  const thr = Math.log1p(o.threshold);
  return (mean - w > 0 && mean + w > thr) || (mean + w < 0 && mean - w < -thr) || Math.abs(mean) + w <= thr;
}

/** Whether the job can stop: every gated point has an answer, or none left uncertain could get one by `cap` rounds (`level`: each test's, as judged). */
export function canStop(points: PointComparison[], cap: number, o: PairedOptions, level: number): { stop: boolean; hopeless: string[] } {
  const open = points.filter((p) => p.gated !== false && p.verdict === 'uncertain');
  const hopeless = open.filter((p) => !resolvableBy(p, cap, o, level)).map((p) => p.id);
  return { stop: hopeless.length === open.length, hopeless };
}
