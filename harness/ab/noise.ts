/**
 * Where an A/B job's noise lives, per method: the spread of the paired ratios between rounds (new processes
 * each round) against the spread a ratio would have from each run's own samples (its median's confidence
 * interval). Between-round noise far above the within-run share is per-process luck (where a process's memory
 * landed, how its threads were placed): alternating at a finer grain inside the same two processes cannot
 * cancel it, only more rounds (more processes) average it out. Near 1, the runs agree as well as their own
 * samples allow and a finer grain has nothing left to cancel.
 */
import type { PointResult } from '../results/model.js';
import type { Round } from './paired.js';
import { median as quantileMedian } from '../stats/quantile.js';

export interface MethodNoise {
  method: string;
  points: number;
  /** median over the method's points of the SD of ln(paired ratio) across rounds */
  betweenRounds: number;
  /** median over its points of the SE of ln(ratio) the two runs' own sample CIs imply */
  withinRun: number;
}

/** The SE of ln(median) that a point's 95% CI of the median implies. */
const seOfLogMedian = (p: PointResult) => (p.stats && p.stats.median > 0 && Number.isFinite(p.stats.ciHigh) && Number.isFinite(p.stats.ciLow) ? Math.log(p.stats.ciHigh / p.stats.ciLow) / 2 / 1.96 : NaN);

/** The median of the finite values (a point without a CI has none). */
const median = (xs: number[]) => quantileMedian(xs.filter(Number.isFinite));

export function noiseByMethod(rounds: Round[]): MethodNoise[] {
  const per = new Map<string, { method: string; logs: number[]; ses: number[] }>();
  for (const { a, b } of rounds) {
    const inB = new Map(b.points.map((p) => [p.id, p]));
    for (const pa of a.points) {
      const pb = inB.get(pa.id);
      if (!pb || pa.status !== 'ok' || pb.status !== 'ok' || !pa.stats || !pb.stats) continue;
      const e = per.get(pa.id) ?? { method: pa.method, logs: [], ses: [] };
      per.set(pa.id, e);
      e.logs.push(Math.log(pb.stats.median / pa.stats.median));
      e.ses.push(Math.hypot(seOfLogMedian(pa), seOfLogMedian(pb)));
    }
  }
  const byMethod = new Map<string, { between: number[]; within: number[] }>();
  for (const e of per.values()) {
    if (e.logs.length < 2) continue;
    const m = e.logs.reduce((s, v) => s + v, 0) / e.logs.length;
    const sd = Math.sqrt(e.logs.reduce((s, v) => s + (v - m) ** 2, 0) / (e.logs.length - 1));
    const g = byMethod.get(e.method) ?? { between: [], within: [] };
    byMethod.set(e.method, g);
    g.between.push(sd);
    g.within.push(median(e.ses));
  }
  return [...byMethod].map(([method, g]) => ({ method, points: g.between.length, betweenRounds: median(g.between), withinRun: median(g.within) }));
}

/** One line per method for the job's log. */
export function noiseLines(noise: MethodNoise[]): string[] {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
  return noise.map((n) => `  ${n.method}: rounds spread ${pct(n.betweenRounds)}, runs' own samples ${pct(n.withinRun)}${Number.isFinite(n.withinRun) && n.withinRun > 0 ? ` (${(n.betweenRounds / n.withinRun).toFixed(1)}x)` : ''}, ${n.points} point(s)`);
}
