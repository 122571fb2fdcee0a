/**
 * Per-point decisions between a baseline (one run or several) and a candidate
 * run: `same`, `slower`, `faster` or `uncertain`, each with its reason. Only
 * `slower` on a gated point fails a job.
 *
 * Runs are the unit of replication (run-model.ts): each point's change is the
 * log of its candidate median over the geometric mean of its earlier run
 * medians (baselines, then history), split into the shift its method took in
 * the candidate run and its own part, with variances pooled over the method's
 * noise family. Two ways to be slower: its own part beyond the pooled residual
 * noise (a point regressed), or its method's shift beyond the shifts earlier
 * runs showed (a whole method regressed, the point with it). The night's false
 * rate (alpha, 1 in 50) is shared Bonferroni-wise: half over the gated points'
 * own tests, half over the methods' shift tests (a handful, each with few
 * degrees of freedom: an even split per test would leave three baselines blind
 * to a whole method's 10%); each test uses Student's t at its share.
 * The estimate and its interval are one statistic: the interval is centred on
 * the change it reports.
 *
 *   slower     the change's interval (the route that found it) lies above 1 and reaches past the threshold
 *   faster     the mirror image
 *   same       the interval of the whole change (shift and own part) lies inside the threshold band
 *   uncertain  anything else, and any move measured against one baseline run (one run cannot show how runs
 *              differ); a gate that counts detection counts it as missed
 *
 * Two moves stay uncertain however clear: one unchanged code has already made (a baseline or one of the
 * newest SEEN_WINDOW history runs was as slow: the CPU paths have slow episodes of two runs in a row on
 * shared hosts), and a slowdown of up to 4x measured while the machine took its CPU time (steal, quota
 * throttling), unless the method gathers from GPU memory on the GPU alone.
 */
import type { PointResult, RunResults } from '../results/model.js';
import { methodSpec } from '../methods.js';
import { interfered, INTERFERENCE_EXPLAINS_UP_TO } from '../telemetry/host-interference.js';
import { tQuantile } from '../stats/student-t.js';
import { median as medianOf } from '../stats/quantile.js';
import { noiseFamily } from './family.js';
import { effects, fitFamily, halfWidths, type FamilyModel, type PointEffect, type RunMedians } from './run-model.js';

export type Verdict = 'slower' | 'faster' | 'same' | 'uncertain' | 'missing' | 'new';

export interface CompareOptions {
  /** minimum relative change in median time that counts, e.g. 0.05 */
  threshold: number;
  /** the night's false rate: the chance that unchanged code has any gated point called slower */
  alpha: number;
  /** gate the copy ceilings (pinned-memcpy, host-memcpy) too; by default they inform but never fail */
  gateCeilings?: boolean;
}

export const DEFAULT_COMPARE: CompareOptions = { threshold: 0.05, alpha: 0.02 };

export interface PointComparison {
  id: string;
  method: string;
  verdict: Verdict;
  /** whether a `slower` verdict here fails the job (the ceilings are not gated unless asked) */
  gated?: boolean;
  /** the half-width of the whole change's interval, as a ratio - 1: what noise alone can do to this point */
  needed?: number;
  /** how many runs (compare: earlier runs of the point's family; ab: paired rounds) the noise comes from */
  runs?: number;
  /** one sigma of the noise that judged it (relative): the family's residual, or its run shift */
  runSpread?: number;
  /** median time candidate / baseline: above 1 is slower */
  timeRatio?: number;
  ratioCi?: [number, number];
  /** one-sided p of the test that decided (ab: of the paired ratios) */
  p?: number;
  baselineGBps?: number;
  candidateGBps?: number;
  note?: string;
}

const isCeiling = (method: string) => methodSpec(method)?.role === 'ceiling';

/** How many of the newest history runs a move may have been seen in (three weeks of nightlies). */
export const SEEN_WINDOW = 20;

/**
 * Whether a busy host can slow a method's samples: every method whose bytes come from host memory (other
 * guests share its bandwidth and the PCIe root; the host-timed paths all read it). A gather from GPU
 * memory, queued behind the launch gate, is out of their reach.
 */
const usesHost = (method: string) => methodSpec(method)?.source !== 'gpu-memory';

const medianTime = (p: PointResult) => (p.status === 'ok' && p.stats && p.stats.median > 0 ? p.stats.median : undefined);

/** One run's medians, for the model. */
export function runMedians(run: RunResults): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of run.points) {
    const t = medianTime(p);
    if (t !== undefined) out.set(p.id, t);
  }
  return out;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const tOneSided = (level: number, dof: number) => tQuantile(1 - level, dof);

/** The verdict of a point the model covers. */
function judge(out: PointComparison, m: FamilyModel, e: PointEffect, h: ReturnType<typeof halfWidths>, o: CompareOptions, cand: PointResult, recent: number[]): PointComparison {
  const thr = Math.log1p(o.threshold);
  const interval = (c: number, w: number): [number, number] => [Math.exp(c - w), Math.exp(c + w)];
  const spread = m.residual && h.own !== undefined ? m.residual.sigma : m.shift?.sigma;
  const stats = { timeRatio: Math.exp(e.change), runs: m.runs, ...(spread === undefined ? {} : { runSpread: Math.expm1(spread) }), ...(h.change === undefined ? {} : { needed: Math.expm1(h.change) }) };
  if (h.change === undefined) {
    const note = Math.abs(e.change) > thr ? `moved ${pct(Math.abs(Math.expm1(e.change)))}, but one baseline run cannot tell a change from run-to-run noise` : 'one baseline run cannot measure how runs differ';
    return { ...out, ...stats, verdict: 'uncertain', note };
  }
  const own = h.own, shift = h.shift!, whole = h.change;
  const why = (dir: number) => {
    if (own !== undefined && dir * e.own - own > 0 && dir * e.change + own > thr)
      return { ci: interval(e.change, own), note: `moved ${pct(Math.abs(Math.expm1(e.own)))} against the other points of ${out.method} (they moved ${pct(Math.expm1(e.familyShift))}; residual noise pooled over ${m.family})` };
    if (dir * e.shift - shift > 0 && dir * e.change - (own ?? 0) > 0 && dir * e.change + whole > thr)
      return { ci: interval(e.change, whole), note: `every point of ${out.method} moved, ${pct(Math.expm1(e.shift))} on average: beyond the ±${pct(Math.expm1(shift))} earlier runs' shifts allow (pooled over ${m.family})` };
    return undefined;
  };
  const ci = interval(e.change, whole);
  const up = e.change > 0 ? why(1) : undefined, down = e.change < 0 ? why(-1) : undefined;
  const seen = (asFar: (t: number) => boolean, what: string, ci: [number, number]) => {
    const n = recent.filter(asFar).length;
    return n ? { ...out, ...stats, ratioCi: ci, verdict: 'uncertain' as const, note: `moved ${pct(Math.abs(Math.expm1(e.change)))}, but unchanged code has been this ${what} before (${n} of the ${recent.length} most recent earlier runs)` } : undefined;
  };
  const t = cand.stats!.median;
  if (up) {
    const before = seen((x) => x >= t, 'slow', up.ci);
    if (before) return before;
    const ratio = Math.exp(e.change);
    const taken = usesHost(out.method) ? interfered(cand.host) : undefined;
    if (taken && ratio <= INTERFERENCE_EXPLAINS_UP_TO) return { ...out, ...stats, ratioCi: up.ci, verdict: 'uncertain', note: `moved ${pct(ratio - 1)}, but ${taken} while it sampled: not evidence of a change in the code` };
    const notes = [
      up.note,
      taken ? `${taken} while it sampled, but a ${ratio.toFixed(1)}x time is more than that explains (up to ${INTERFERENCE_EXPLAINS_UP_TO}x)` : '',
      out.gated ? '' : 'a copy ceiling: reported, not gated (--gate-ceilings gates it)',
    ].filter(Boolean);
    return { ...out, ...stats, ratioCi: up.ci, verdict: 'slower', note: notes.join('; ') };
  }
  if (down) return seen((x) => x <= t, 'fast', down.ci) ?? { ...out, ...stats, ratioCi: down.ci, verdict: 'faster', note: down.note };
  if (Math.abs(e.change) + whole <= thr) return { ...out, ...stats, ratioCi: ci };
  return { ...out, ...stats, ratioCi: ci, verdict: 'uncertain', note: `cannot resolve a ${pct(o.threshold)} change here: time ratio ${Math.exp(e.change).toFixed(3)}, interval ${ci[0].toFixed(3)}-${ci[1].toFixed(3)} (${m.runs} runs; ${m.family}: ${own !== undefined ? `residual ±${pct(Math.expm1(m.residual!.sigma))}, ` : ''}run shifts ±${pct(Math.expm1(m.shift!.sigma))}, 1 sigma)` };
}

/** A point's comparison before any verdict: what both sides measured. */
function startOf(ps: PointResult[], cand: PointResult | undefined, gated: boolean): PointComparison {
  const ok = ps.filter((p) => p.status === 'ok');
  return { id: ps[0].id, method: ps[0].method, verdict: 'same', gated, baselineGBps: ok.length ? medianOf(ok.map((p) => p.bandwidth!.median)) : undefined, candidateGBps: cand?.bandwidth?.median };
}

/** What a point is before the model: a verdict already (failures, missing), or undefined for a point to model. */
function prejudge(out: PointComparison, ps: PointResult[], cand: PointResult | undefined): PointComparison | undefined {
  const base = ps[0];
  const ok = ps.some((p) => p.status === 'ok');
  if (!cand) return { id: base.id, method: base.method, verdict: 'missing', baselineGBps: base.bandwidth?.median, note: 'not in the candidate run' };
  if (cand.status !== 'ok' && ok) return { ...out, verdict: 'slower', gated: true, note: `${cand.status} in the candidate: ${cand.reason ?? ''}`.trim() };
  if (!ok && cand.status === 'ok') return { ...out, verdict: 'faster', note: `${base.status} in the baseline, ok now` };
  if (!ok) return { ...out, note: `${cand.status} in both` };
  return undefined;
}

/**
 * `history`: earlier runs of the same machine (their medians per point), which widen what is known of each
 * family's noise. A point measured in only some baseline runs is a family of its own, over those runs.
 */
export function compareRunPoints(bases: RunResults | RunResults[], cand: RunResults, o: CompareOptions, history: readonly RunMedians[] = []): PointComparison[] {
  const runs = Array.isArray(bases) ? bases : [bases];
  const candBy = new Map(cand.points.map((p) => [p.id, p]));
  const byId = new Map<string, PointResult[]>();
  for (const r of runs) for (const p of r.points) byId.set(p.id, [...(byId.get(p.id) ?? []), p]);
  const rows = [...runs.map(runMedians), ...history];
  const recentRows = [...rows.slice(0, runs.length), ...history.slice(-SEEN_WINDOW)];
  const candMedians = runMedians(cand);
  const gatedOf = (method: string) => !isCeiling(method) || !!o.gateCeilings;
  const decided = new Map<string, PointComparison>();
  const starts = new Map<string, PointComparison>();
  const families = new Map<string, string[]>();
  for (const [id, ps] of byId) {
    const start = startOf(ps, candBy.get(id), gatedOf(ps[0].method));
    starts.set(id, start);
    const pre = prejudge(start, ps, candBy.get(id));
    if (pre) decided.set(id, pre);
    else {
      const everyRun = ps.length === runs.length && ps.every((p) => p.status === 'ok');
      const key = everyRun ? noiseFamily(ps[0].method) : `${noiseFamily(ps[0].method)}: ${id} alone (not ok in every baseline run)`;
      families.set(key, [...(families.get(key) ?? []), id]);
    }
  }
  const modelled = [...families.values()].flat();
  const methodOf = new Map(modelled.map((id) => [id, byId.get(id)![0].method]));
  const gatedModelled = modelled.filter((id) => gatedOf(methodOf.get(id)!)).length;
  const shiftTests = [...families.values()].reduce((n, ids) => n + new Set(ids.map((id) => methodOf.get(id))).size, 0);
  const levels = { own: o.alpha / 2 / Math.max(1, gatedModelled), shift: o.alpha / 2 / Math.max(1, shiftTests) };
  for (const [family, ids] of families) {
    const m = fitFamily(family, ids, methodOf, rows.filter((r) => ids.some((id) => r.has(id))));
    const fx = effects(m, candMedians);
    for (const id of ids) {
      const out = starts.get(id)!, q = candBy.get(id)!;
      const e = fx.get(id);
      const recent = recentRows.map((r) => r.get(id)).filter((x): x is number => x !== undefined);
      decided.set(id, e ? judge(out, m, e, halfWidths(m, e, tOneSided, levels), o, q, recent) : { ...out, verdict: 'uncertain', note: 'not measured in enough earlier runs to model' });
    }
  }
  const out = [...byId.keys()].map((id) => decided.get(id)!);
  for (const q of cand.points) if (!byId.has(q.id)) out.push({ id: q.id, method: q.method, verdict: 'new', candidateGBps: q.bandwidth?.median, note: 'not in the baseline run' });
  return out;
}

/** A re-measured point judged as the first time: the candidate run with that point replaced, against the same baseline runs and history. */
export function rejudge(bases: RunResults[], cand: RunResults, again: PointResult | undefined, o: CompareOptions, history?: readonly RunMedians[]): PointComparison | undefined {
  if (!again) return undefined;
  const fresh = { ...cand, points: cand.points.map((p) => (p.id === again.id ? again : p)) };
  return compareRunPoints(bases, fresh, o, history).find((p) => p.id === again.id);
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
  /** what the verdicts rest on, for the summary line (default: compare's baseline runs and bar) */
  basis?: string;
}

/**
 * The counts every printer of a gate shows (terminal, summary.md, report.html), from one place: the gated
 * points by verdict, and the copy ceilings apart, which are reported but fail no job.
 */
export function tally(points: PointComparison[]): { gated: Record<Verdict, number>; gatedTotal: number; ceilings: Record<Verdict, number> } {
  const gated = countVerdicts(points.filter((p) => p.gated !== false));
  const ceilings = countVerdicts(points.filter((p) => p.gated === false));
  return { gated, gatedTotal: points.filter((p) => p.gated !== false).length, ceilings };
}

/** "11 of 18 gated points slower, 4 uncertain, 3 same, 0 faster; copy ceilings (not gated): 3 slower, 3 same". */
export function tallyText(points: PointComparison[]): string {
  const t = tally(points);
  const g = t.gated;
  const extra = (['missing', 'new'] as const).filter((v) => g[v]).map((v) => `, ${g[v]} ${v}`).join('');
  const ceilings = (Object.keys(t.ceilings) as Verdict[]).filter((v) => t.ceilings[v]).map((v) => `${t.ceilings[v]} ${v}`);
  return `${g.slower} of ${t.gatedTotal} gated points slower, ${g.uncertain} uncertain, ${g.same} same, ${g.faster} faster${extra}${ceilings.length ? `; copy ceilings (not gated): ${ceilings.join(', ')}` : ''}`;
}

export function countVerdicts(points: PointComparison[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { slower: 0, faster: 0, same: 0, uncertain: 0, missing: 0, new: 0 };
  for (const p of points) c[p.verdict]++;
  return c;
}
