/**
 * Per-point verdicts between a baseline run and a candidate run. A point
 * regresses only when the change is both statistically clear (Mann-Whitney
 * p < alpha and a bootstrap CI of the time ratio that excludes 1) and large
 * enough to matter (beyond --threshold): noise alone should not fail a
 * nightly job, and a real 10% slowdown should.
 */
import type { PointResult, RunResults } from '../results/model.js';
import { quantileSorted } from '../stats/quantile.js';
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
  /** median time candidate / baseline: above 1 is slower */
  timeRatio?: number;
  ratioCi?: [number, number];
  p?: number;
  baselineGBps?: number;
  candidateGBps?: number;
  note?: string;
}

const medianOf = (xs: number[]) => quantileSorted([...xs].sort((a, b) => a - b), 0.5);

function seedOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function comparePoint(base: PointResult, cand: PointResult, o: CompareOptions): PointComparison {
  const out: PointComparison = { id: base.id, method: base.method, verdict: 'unchanged', baselineGBps: base.bandwidth?.median, candidateGBps: cand.bandwidth?.median };
  if (cand.status !== 'ok' && base.status === 'ok') return { ...out, verdict: 'regressed', note: `${cand.status} in the candidate: ${cand.reason ?? ''}`.trim() };
  if (base.status !== 'ok' && cand.status === 'ok') return { ...out, verdict: 'improved', note: `${base.status} in the baseline, ok now` };
  if (base.status !== 'ok') return { ...out, note: `${cand.status} in both` };
  const b = base.samples.total, c = cand.samples.total;
  if (b.length < 3 || c.length < 3) return { ...out, note: 'too few samples to judge' };
  const ratio = medianOf(c) / medianOf(b);
  const mw = mannWhitney(b, c);
  const ci = bootstrapRatioCi(b, c, { resamples: o.resamples, seed: seedOf(base.id) });
  const significant = mw.p < o.alpha;
  let verdict: Verdict = 'unchanged';
  if (significant && ratio > 1 + o.threshold && ci[0] > 1) verdict = 'regressed';
  else if (significant && ratio < 1 / (1 + o.threshold) && ci[1] < 1) verdict = 'improved';
  return { ...out, verdict, timeRatio: ratio, ratioCi: ci, p: mw.p };
}

export interface RunComparison {
  baseline: { label: string; machine: string };
  candidate: { label: string; machine: string };
  options: CompareOptions;
  points: PointComparison[];
  counts: Record<Verdict, number>;
}

export function compareRunPoints(base: RunResults, cand: RunResults, o: CompareOptions): PointComparison[] {
  const candBy = new Map(cand.points.map((p) => [p.id, p]));
  const baseIds = new Set(base.points.map((p) => p.id));
  const out: PointComparison[] = [];
  for (const p of base.points) {
    const q = candBy.get(p.id);
    out.push(q ? comparePoint(p, q, o) : { id: p.id, method: p.method, verdict: 'missing', baselineGBps: p.bandwidth?.median, note: 'not in the candidate run' });
  }
  for (const q of cand.points) if (!baseIds.has(q.id)) out.push({ id: q.id, method: q.method, verdict: 'new', candidateGBps: q.bandwidth?.median, note: 'not in the baseline run' });
  return out;
}

export function countVerdicts(points: PointComparison[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { regressed: 0, improved: 0, unchanged: 0, missing: 0, new: 0 };
  for (const p of points) c[p.verdict]++;
  return c;
}
