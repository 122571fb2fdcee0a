/**
 * Per-point decisions between a baseline (one run or several) and a candidate
 * run: `same`, `slower`, `faster` or `uncertain`, each with its reason. Only
 * `slower` on a gated point fails a job.
 *
 * A change counts when it is statistically clear (Mann-Whitney p < alpha and
 * a bootstrap CI of the time ratio that excludes 1, on the baseline runs'
 * samples pooled) and larger than the bar: the threshold, or the run-to-run
 * prediction bound, whichever is larger. That bound is a robust standard
 * deviation of the earlier runs' medians (baselines and history) times the
 * three-sigma prediction factor for that many runs (prediction-bar.ts): 3
 * sigmas with a long history, 22 with three runs, whose spread says little.
 * Where that bar is wider than the threshold, a point without a change beyond
 * the bar is `uncertain` too: the gate cannot vouch that a threshold-sized
 * change did not happen there.
 * Each run allocates and pins its own memory, so runs differ by more than the
 * samples of one run do; the run-to-run spread, not the within-run spread, is
 * the noise a nightly gate must clear. A clear change beyond the threshold but
 * within that noise bar is `uncertain` (too noisy across runs to call at this
 * threshold), and so is any clear change where the noise cannot be known (one
 * baseline run): never a failure. So is a move that unchanged code has already
 * made (in a baseline or a recent history run), and a slowdown of up to 4x measured
 * while the machine took its CPU time (steal, quota throttling), unless the method
 * gathers from GPU memory on the GPU alone. `same` is a claim too: only where the ratio's CI lies
 * within the threshold; samples too spread to rule out a threshold-sized
 * change make the point `uncertain`.
 */
import type { PointResult, RunResults } from '../results/model.js';
import { median as medianOf, quantileSorted } from '../stats/quantile.js';
import { bootstrapRatioCi, mannWhitney } from './stats.js';
import { methodSpec } from '../methods.js';
import { interfered, INTERFERENCE_EXPLAINS_UP_TO } from '../telemetry/host-interference.js';
import { predictionSigmas } from '../stats/prediction-bar.js';

export type Verdict = 'slower' | 'faster' | 'same' | 'uncertain' | 'missing' | 'new';

export interface CompareOptions {
  /** minimum relative change in median time that counts, e.g. 0.05 */
  threshold: number;
  /** significance level of the Mann-Whitney test */
  alpha: number;
  resamples: number;
  /** gate the copy ceilings (pinned-memcpy, host-memcpy) too; by default they inform but never fail */
  gateCeilings?: boolean;
}

export const DEFAULT_COMPARE: CompareOptions = { threshold: 0.05, alpha: 0.01, resamples: 2000 };

export interface PointComparison {
  id: string;
  method: string;
  verdict: Verdict;
  /** whether a `slower` verdict here fails the job (the ceilings are not gated unless asked) */
  gated?: boolean;
  /** the change this point needed to count: max(threshold, the prediction factor for `runs` runs x run-to-run sigma) */
  needed?: number;
  /** how many runs' medians the run-to-run sigma comes from (baselines and history) */
  runs?: number;
  /** robust relative standard deviation of the baseline runs' medians (two or more baseline runs) */
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

/**
 * Relative spread of run medians, as one standard deviation: the larger of
 * two robust estimates, 1.4826 x the median absolute deviation and IQR / 1.349.
 * Either shrugs off one odd run; the IQR also sees a point that flips between
 * two states from run to run (the MAD, with most runs in one state, would not).
 * Two runs: their half-difference. One run: undefined, since one run says
 * nothing about how runs differ.
 */
export function runToRunSigma(medians: number[]): number | undefined {
  if (medians.length < 2) return undefined;
  const c = medianOf(medians);
  if (medians.length === 2) return Math.abs(medians[0] - medians[1]) / 2 / c;
  const rel = medians.map((m) => m / c).sort((a, b) => a - b);
  const mad = 1.4826 * medianOf(rel.map((r) => Math.abs(r - 1)));
  const iqr = (quantileSorted(rel, 0.75) - quantileSorted(rel, 0.25)) / 1.349;
  return Math.max(mad, iqr);
}

const pools = new WeakMap<PointResult, { bases: PointResult[]; pooled: number[] }>();

/** The baseline runs' samples pooled: the same array for the same baseline points, so its bootstrap resamples are drawn once. */
function pooledSamples(bases: PointResult[]): number[] {
  const hit = pools.get(bases[0]);
  if (hit && hit.bases.length === bases.length && hit.bases.every((p, i) => p === bases[i])) return hit.pooled;
  const pooled = bases.flatMap((p) => p.samples.total);
  pools.set(bases[0], { bases, pooled });
  return pooled;
}

/** How many of the newest history runs a move may have been seen in (three weeks of nightlies). */
export const SEEN_WINDOW = 20;

const isCeiling = (method: string) => methodSpec(method)?.role === 'ceiling';

/**
 * Whether a busy host can slow a method's samples: every method whose bytes come from host memory (other
 * guests share its bandwidth and the PCIe root; the host-timed paths all read it). A gather from GPU
 * memory, queued behind the launch gate, is out of their reach.
 */
const usesHost = (method: string) => methodSpec(method)?.source !== 'gpu-memory';

/**
 * Compares one point of several baseline runs (the same point in each) with
 * the candidate's. `history`: the point's median time in earlier runs (the
 * nightly history), which only widens what is known of its run-to-run noise.
 */
export function comparePoint(bases: PointResult | PointResult[], cand: PointResult, o: CompareOptions, history: number[] = []): PointComparison {
  const all = Array.isArray(bases) ? bases : [bases];
  const base = all[0];
  const okBases = all.filter((p) => p.status === 'ok');
  const gated = !isCeiling(base.method) || !!o.gateCeilings;
  const out: PointComparison = { id: base.id, method: base.method, verdict: 'same', gated, baselineGBps: okBases.length ? medianOf(okBases.map((p) => p.bandwidth!.median)) : undefined, candidateGBps: cand.bandwidth?.median };
  if (cand.status !== 'ok' && okBases.length) return { ...out, verdict: 'slower', gated: true, note: `${cand.status} in the candidate: ${cand.reason ?? ''}`.trim() };
  if (!okBases.length && cand.status === 'ok') return { ...out, verdict: 'faster', note: `${base.status} in the baseline, ok now` };
  if (!okBases.length) return { ...out, note: `${cand.status} in both` };
  const b = pooledSamples(okBases), c = cand.samples.total;
  if (b.length < 3 || c.length < 3) return { ...out, verdict: 'uncertain', note: 'too few samples to judge' };
  const runMedians = okBases.map((p) => medianOf(p.samples.total));
  const center = medianOf(runMedians);
  const earlier = [...runMedians, ...history];
  const runSpread = runToRunSigma(earlier);
  const needed = Math.max(o.threshold, runSpread === undefined ? 0 : predictionSigmas(earlier.length) * runSpread);
  const candMedian = medianOf(c);
  const ratio = candMedian / center;
  const mw = mannWhitney(b, c);
  const clear = mw.p < o.alpha;
  const beyond = clear && (ratio > 1 + o.threshold || ratio < 1 / (1 + o.threshold));
  const ci = bootstrapRatioCi(b, c, { resamples: o.resamples, seed: seedOf(base.id) });
  const up = beyond && ratio > 1 && ci[0] > 1;
  const down = beyond && ratio < 1 && ci[1] < 1;
  const stats = { timeRatio: ratio, ratioCi: ci, p: mw.p, needed, runSpread, runs: earlier.length };
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const bar = () => `(${earlier.length} runs spread ±${pct(runSpread!)}, 1 sigma; the bar is ${predictionSigmas(earlier.length).toFixed(1)} sigmas for ${earlier.length} runs)`;
  if (!up && !down) {
    // No change beyond the threshold seen, but where runs move more than the threshold the gate cannot
    // vouch that none happened: "same" would claim a resolution it does not have.
    if (runSpread !== undefined && needed > o.threshold + 1e-12)
      return { ...out, ...stats, verdict: 'uncertain', note: `cannot resolve a ${pct(o.threshold)} change here: the run-to-run bar is ±${pct(needed)} ${bar()}` };
    // Nor where the samples are too spread to rule one out: no clear change is not evidence of none.
    if (ci[1] > 1 + o.threshold || ci[0] < 1 / (1 + o.threshold))
      return { ...out, ...stats, verdict: 'uncertain', note: `the samples cannot rule out a ${pct(o.threshold)} change: time ratio ${ratio.toFixed(3)}, 95% CI ${ci[0].toFixed(3)}-${ci[1].toFixed(3)}` };
    return { ...out, ...stats };
  }
  if (runSpread === undefined)
    return { ...out, ...stats, verdict: 'uncertain', note: `moved ${pct(Math.abs(ratio - 1))}, but one baseline run cannot tell a change from run-to-run noise` };
  // A robust spread ignores the odd run, but where unchanged code has already been as slow (or fast) as the
  // candidate, the move is no evidence of a change: a shared host's memory paths slow down 2-3x for minutes.
  // Remembered: the baselines and the newest SEEN_WINDOW runs of the history, so an old episode (or a
  // regression since fixed) does not excuse a move for ever.
  const recent = [...runMedians, ...history.slice(-SEEN_WINDOW)];
  const seen = (asFar: (m: number) => boolean, what: string) => {
    const n = recent.filter(asFar).length;
    return { ...out, ...stats, verdict: 'uncertain' as const, note: `moved ${pct(Math.abs(ratio - 1))}, but unchanged code has been this ${what} before (${n} of the ${recent.length} most recent earlier runs)` };
  };
  if (up && ratio > 1 + needed) {
    if (recent.some((m) => m >= candMedian)) return seen((m) => m >= candMedian, 'slow');
    const taken = usesHost(base.method) ? interfered(cand.host) : undefined;
    if (taken && ratio <= INTERFERENCE_EXPLAINS_UP_TO) return { ...out, ...stats, verdict: 'uncertain', note: `moved ${pct(ratio - 1)}, but ${taken} while it sampled: not evidence of a change in the code` };
    const notes = [
      taken ? `${taken} while it sampled, but a ${ratio.toFixed(1)}x time is more than that explains (up to ${INTERFERENCE_EXPLAINS_UP_TO}x)` : '',
      gated ? '' : 'a copy ceiling: reported, not gated (--gate-ceilings gates it)',
    ].filter(Boolean);
    return { ...out, ...stats, verdict: 'slower', ...(notes.length ? { note: notes.join('; ') } : {}) };
  }
  if (down && ratio < 1 / (1 + needed)) {
    if (recent.some((m) => m <= candMedian)) return seen((m) => m <= candMedian, 'fast');
    return { ...out, ...stats, verdict: 'faster' };
  }
  return { ...out, ...stats, verdict: 'uncertain', note: `moved ${pct(Math.abs(ratio - 1))}: beyond the threshold, within the run-to-run bar of ±${pct(needed)} ${bar()}` };
}

/** A re-measured point judged as the first time: against the same baseline runs and history. */
export function rejudge(bases: RunResults[], again: PointResult | undefined, o: CompareOptions, history?: ReadonlyMap<string, number[]>): PointComparison | undefined {
  if (!again) return undefined;
  const ps = bases.flatMap((b) => b.points.filter((x) => x.id === again.id));
  return ps.length ? comparePoint(ps, again, o, history?.get(again.id)) : undefined;
}

/** The points a confirmation re-measures: gated, called slower, measured in the candidate. */
export function pointsToConfirm(points: PointComparison[], cand: RunResults): string[] {
  const ok = new Set(cand.points.filter((p) => p.status === 'ok').map((p) => p.id));
  return points.filter((p) => p.verdict === 'slower' && p.gated !== false && ok.has(p.id)).map((p) => p.id);
}

/**
 * Confirmation before failing: each point in `ids` stays slower only if its re-measure, compared with the
 * same baselines (`again`), is slower again; otherwise it is uncertain, saying so.
 */
export function applyConfirmation(points: PointComparison[], ids: string[], again: (id: string) => PointComparison | undefined): { points: PointComparison[]; confirmed: number } {
  let confirmed = 0;
  const pct = (x: number) => `${((x - 1) * 100).toFixed(1)}%`;
  const out = points.map((p) => {
    if (!ids.includes(p.id)) return p;
    const second = again(p.id);
    if (second?.verdict === 'slower') {
      confirmed++;
      return { ...p, note: [p.note, `confirmed by a fresh re-measure (${pct(second.timeRatio!)} slower again)`].filter(Boolean).join('; ') };
    }
    return { ...p, verdict: 'uncertain' as const, note: `slower by ${pct(p.timeRatio!)} at first, not confirmed by a fresh re-measure (${second ? `then ${second.verdict}, ${pct(second.timeRatio!)}` : 'not measured'})` };
  });
  return { points: out, confirmed };
}

/** Whether a comparison fails the job: a gated point slower (or failed), or, if asked, a point missing. */
export function failsJob(points: PointComparison[], failOnMissing = false): boolean {
  return points.some((p) => (p.verdict === 'slower' && p.gated !== false) || (failOnMissing && p.verdict === 'missing'));
}

export interface RunComparison {
  baseline: { label: string; machine: string; runs: number };
  candidate: { label: string; machine: string };
  options: CompareOptions;
  points: PointComparison[];
  counts: Record<Verdict, number>;
}

/** `history`: per point id, its median time (seconds) in earlier runs of the same machine. */
export function compareRunPoints(bases: RunResults | RunResults[], cand: RunResults, o: CompareOptions, history?: ReadonlyMap<string, number[]>): PointComparison[] {
  const runs = Array.isArray(bases) ? bases : [bases];
  const candBy = new Map(cand.points.map((p) => [p.id, p]));
  const byId = new Map<string, PointResult[]>();
  for (const r of runs) for (const p of r.points) byId.set(p.id, [...(byId.get(p.id) ?? []), p]);
  const baseIds = new Set(byId.keys());
  const out: PointComparison[] = [];
  for (const [id, ps] of byId) {
    const q = candBy.get(id);
    out.push(q ? comparePoint(ps, q, o, history?.get(id)) : { id, method: ps[0].method, verdict: 'missing', baselineGBps: ps[0].bandwidth?.median, note: 'not in the candidate run' });
  }
  for (const q of cand.points) if (!baseIds.has(q.id)) out.push({ id: q.id, method: q.method, verdict: 'new', candidateGBps: q.bandwidth?.median, note: 'not in the baseline run' });
  return out;
}

export function countVerdicts(points: PointComparison[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { slower: 0, faster: 0, same: 0, uncertain: 0, missing: 0, new: 0 };
  for (const p of points) c[p.verdict]++;
  return c;
}
