/**
 * Per-point verdicts between a baseline (one run or several) and a candidate
 * run. A point regresses only when the change is both statistically clear
 * (Mann-Whitney p < alpha and a bootstrap CI of the time ratio that excludes
 * 1, on the baseline runs' samples pooled) and large enough to matter: beyond
 * --threshold, and beyond twice the spread the baseline runs show among
 * themselves. That last part matters: each run allocates and pins a fresh
 * table, so runs differ by more than the samples within one run do, and a
 * test on within-run samples alone calls that difference significant.
 */
import type { PointResult, RunResults } from '../results/model.js';
import { median as medianOf } from '../stats/quantile.js';
import { bootstrapRatioCi, mannWhitney } from './stats.js';

export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'missing' | 'new';

export interface CompareOptions {
  /** minimum relative change in median time that counts, e.g. 0.05 */
  threshold: number;
  /** significance level of the Mann-Whitney test */
  alpha: number;
  resamples: number;
}

export const DEFAULT_COMPARE: CompareOptions = { threshold: 0.05, alpha: 0.01, resamples: 2000 };

export interface PointComparison {
  id: string;
  method: string;
  verdict: Verdict;
  /** the change this point needed to count: max(threshold, 2 x run-to-run spread of the baseline runs) */
  needed?: number;
  /** largest relative deviation of one baseline run's median from the baselines' median (several baseline runs only) */
  runSpread?: number;
  /** median time candidate / baseline: above 1 is slower */
  timeRatio?: number;
  ratioCi?: [number, number];
  p?: number;
  baselineGBps?: number;
  candidateGBps?: number;
  note?: string;
}


function seedOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Compares one point of several baseline runs (the same point in each) with the candidate's. */
export function comparePoint(bases: PointResult | PointResult[], cand: PointResult, o: CompareOptions): PointComparison {
  const all = Array.isArray(bases) ? bases : [bases];
  const base = all[0];
  const okBases = all.filter((p) => p.status === 'ok');
  const out: PointComparison = { id: base.id, method: base.method, verdict: 'unchanged', baselineGBps: okBases.length ? medianOf(okBases.map((p) => p.bandwidth!.median)) : undefined, candidateGBps: cand.bandwidth?.median };
  if (cand.status !== 'ok' && okBases.length) return { ...out, verdict: 'regressed', note: `${cand.status} in the candidate: ${cand.reason ?? ''}`.trim() };
  if (!okBases.length && cand.status === 'ok') return { ...out, verdict: 'improved', note: `${base.status} in the baseline, ok now` };
  if (!okBases.length) return { ...out, note: `${cand.status} in both` };
  const b = okBases.flatMap((p) => p.samples.total), c = cand.samples.total;
  if (b.length < 3 || c.length < 3) return { ...out, note: 'too few samples to judge' };
  const runMedians = okBases.map((p) => medianOf(p.samples.total));
  const center = medianOf(runMedians);
  const runSpread = runMedians.length > 1 ? Math.max(...runMedians.map((m) => Math.abs(m / center - 1))) : undefined;
  const needed = Math.max(o.threshold, 2 * (runSpread ?? 0));
  const ratio = medianOf(c) / center;
  const mw = mannWhitney(b, c);
  const ci = bootstrapRatioCi(b, c, { resamples: o.resamples, seed: seedOf(base.id) });
  const significant = mw.p < o.alpha;
  let verdict: Verdict = 'unchanged';
  if (significant && ratio > 1 + needed && ci[0] > 1) verdict = 'regressed';
  else if (significant && ratio < 1 / (1 + needed) && ci[1] < 1) verdict = 'improved';
  return { ...out, verdict, timeRatio: ratio, ratioCi: ci, p: mw.p, needed, runSpread };
}

export interface RunComparison {
  baseline: { label: string; machine: string; runs: number };
  candidate: { label: string; machine: string };
  options: CompareOptions;
  points: PointComparison[];
  counts: Record<Verdict, number>;
}

export function compareRunPoints(bases: RunResults | RunResults[], cand: RunResults, o: CompareOptions): PointComparison[] {
  const runs = Array.isArray(bases) ? bases : [bases];
  const candBy = new Map(cand.points.map((p) => [p.id, p]));
  const byId = new Map<string, PointResult[]>();
  for (const r of runs) for (const p of r.points) byId.set(p.id, [...(byId.get(p.id) ?? []), p]);
  const baseIds = new Set(byId.keys());
  const out: PointComparison[] = [];
  for (const [id, ps] of byId) {
    const q = candBy.get(id);
    out.push(q ? comparePoint(ps, q, o) : { id, method: ps[0].method, verdict: 'missing', baselineGBps: ps[0].bandwidth?.median, note: 'not in the candidate run' });
  }
  for (const q of cand.points) if (!baseIds.has(q.id)) out.push({ id: q.id, method: q.method, verdict: 'new', candidateGBps: q.bandwidth?.median, note: 'not in the baseline run' });
  return out;
}

export function countVerdicts(points: PointComparison[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { regressed: 0, improved: 0, unchanged: 0, missing: 0, new: 0 };
  for (const p of points) c[p.verdict]++;
  return c;
}
