/**
 * Where an A/B job's noise lives, per method: the spread of the paired ratios between rounds (new processes
 * each round) against the spread a ratio would have from each run's own samples (its median's confidence
 * interval). Between-round noise far above the within-run share is per-process luck (where a process's memory
 * landed, how its threads were placed): alternating at a finer grain inside the same two processes cannot
 * cancel it, only more rounds (more processes) average it out. Near 1, the runs agree as well as their own
 * samples allow and a finer grain has nothing left to cancel.
 */
import { logSpread, type PairedPoint } from './paired.js';
import { median as quantileMedian } from '../stats/quantile.js';

export interface MethodNoise {
  method: string;
  points: number;
  /** median over the method's points of the SD of ln(paired ratio) across rounds */
  betweenRounds: number;
  /** median over its points of the SE of ln(ratio) the two runs' own sample CIs imply */
  withinRun: number;
}

/** The median of the finite values (a point without a CI has none). */
const median = (xs: number[]) => quantileMedian(xs.filter(Number.isFinite));

export function noiseByMethod(paired: PairedPoint[]): MethodNoise[] {
  const byMethod = new Map<string, { between: number[]; within: number[] }>();
  for (const p of paired) {
    if (p.ratios.length < 2) continue;
    const g = byMethod.get(p.method) ?? { between: [], within: [] };
    byMethod.set(p.method, g);
    g.between.push(logSpread(p.ratios).sd);
    g.within.push(median(p.ses));
  }
  return [...byMethod].map(([method, g]) => ({ method, points: g.between.length, betweenRounds: median(g.between), withinRun: median(g.within) }));
}

/** One line per method for the job's log. */
export function noiseLines(noise: MethodNoise[]): string[] {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
  return noise.map((n) => `  ${n.method}: rounds spread ${pct(n.betweenRounds)}, runs' own samples ${pct(n.withinRun)}${Number.isFinite(n.withinRun) && n.withinRun > 0 ? ` (${(n.betweenRounds / n.withinRun).toFixed(1)}x)` : ''}, ${n.points} point(s)`);
}
