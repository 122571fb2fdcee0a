/**
 * Measures one case on a prepared table: verified index sets, then timed samples in chunks until the stopping
 * rule says enough (harness/runner/point-session.ts), then a telemetry window. Returns undefined when aborted
 * mid-point, so the point is redone on --resume rather than kept half-done.
 */
import type { Addon, NativeTable } from '../native/addon.js';
import type { Case } from '../scenario/expand.js';
import type { Sampling } from '../scenario/schema.js';
import type { PointResult } from '../results/model.js';
import { MIN_VISIT_SAMPLES, PointSession, type VisitShare } from './point-session.js';
import type { MeasureOptions } from './point-options.js';
import { readsTableOnCpu } from '../native/facts.js';

export { windowSeconds, MIN_WINDOW_S, basePoint, prepareOptions, type MeasureOptions } from './point-options.js';

/** The shortest visit worth a draw: a shorter one is mostly the wake-up of its new threads. */
export const MIN_VISIT_SECONDS = 0.05;

/** The draws a CPU-path point gets: sampling.draws, fewer where the budget would cut visits shorter than MIN_VISIT_SECONDS. */
export function drawsFor(s: Sampling): number {
  return Math.max(1, Math.min(s.draws, Math.floor(s.budget / MIN_VISIT_SECONDS + 1e-9)));
}

/** A drawn point's visit: its share of the point's budget and samples, at least MIN_VISIT_SAMPLES. */
export function visitShare(s: Sampling, draws: number): VisitShare {
  return { budgetSeconds: s.budget / draws, maxSamples: Math.max(MIN_VISIT_SAMPLES, Math.floor(s.maxSamples / draws)), minSamples: Math.max(MIN_VISIT_SAMPLES, Math.ceil(s.minSamples / draws)) };
}

/** Measures one case: one visit, or sampling.draws visits back to back where the CPU reads the table (each a new draw). */
export async function measureCase(addon: Addon, table: NativeTable, c: Case, o: MeasureOptions): Promise<PointResult | undefined> {
  const contention = c.values.contention > 0 ? new addon.Contention({ threads: c.values.contention }) : undefined;
  let stopped = false;
  const stopContention = () => {
    if (!contention || stopped) return undefined;
    stopped = true;
    return contention.stop();
  };
  try {
    const s = await PointSession.open(addon, table, c, o);
    if (!(s instanceof PointSession)) return s;
    const draws = readsTableOnCpu(c.method, addon.facts()) ? drawsFor(o.sampling) : 1;
    if (draws === 1) await s.visit();
    else for (let d = 0; d < draws; d++) {
      if (d > 0) s.redraw();
      if (!(await s.visit(visitShare(o.sampling, draws)))) break;
    }
    const p = await s.close();
    const load = stopContention();
    if (p && load) {
      const GBps = load.bytes / load.seconds / 1e9;
      p.details.contention = `${load.threads} threads moved ${GBps.toFixed(1)} GB/s`;
      if (p.telemetry) p.telemetry.contention = { threads: load.threads, GBps };
    }
    return p;
  } finally {
    stopContention();
  }
}
