/**
 * The CPU path measured as a distribution (#35). On the GPU hosts measured (gatherbench anatomy, docs/
 * methodology.md) its luck is mostly the host's state from moment to moment, and for few threads where they
 * land: a point measured in one block of a second draws it once. Here each such point of a storage group
 * gets sampling.draws visits, each with new pool threads, taken in turns with the group's other CPU-path
 * points, so its draws lie across the group's time; its figure is their geometric mean, its interval
 * Student's t over them (stats/draws.ts).
 */
import type { Addon, NativeFacts, NativeTable } from '../native/addon.js';
import type { Case } from '../scenario/expand.js';
import type { PointResult } from '../results/model.js';
import { readsTableOnCpu } from '../native/facts.js';
import { PointSession } from './point-session.js';
import { visitShare } from './measure.js';
import type { MeasureOptions } from './point-options.js';

/** Sessions open at once: their outputs and staging stay allocated across the turns. */
const MAX_OPEN = 16;
const MAX_OPEN_BYTES = 6 * 2 ** 30;

/** Whether a case is measured in interleaved draws: the CPU reads the table, draws > 1, no contention of its own. */
export function isDrawn(c: Case, draws: number, facts: NativeFacts): boolean {
  return draws > 1 && c.values.contention === 0 && readsTableOnCpu(c.method, facts);
}

/** Cases cut into batches whose sessions may be open together. */
export function drawBatches(cases: Case[]): Case[][] {
  const out: Case[][] = [];
  let batch: Case[] = [], bytes = 0;
  for (const c of cases) {
    const need = 3 * c.derived.usefulBytes; // staging, output, verification
    if (batch.length && (batch.length >= MAX_OPEN || bytes + need > MAX_OPEN_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(c);
    bytes += need;
  }
  if (batch.length) out.push(batch);
  return out;
}

export interface DrawContext {
  addon: Addon;
  tableOf: (c: Case) => NativeTable;
  optionsOf: (c: Case) => MeasureOptions;
  record: (c: Case, p: PointResult) => void;
  signal: AbortSignal;
}

/** Measures a batch of drawn cases in turns; a point is recorded once its last draw is in (or it failed). */
export async function measureDrawn(cases: Case[], draws: number, ctx: DrawContext): Promise<void> {
  const open: { c: Case; s: PointSession; table: NativeTable }[] = [];
  try {
    for (const c of cases) {
      if (ctx.signal.aborted) return;
      const table = ctx.tableOf(c);
      const s = await PointSession.open(ctx.addon, table, c, ctx.optionsOf(c));
      if (s instanceof PointSession) open.push({ c, s, table });
      else {
        table.release();
        ctx.record(c, s);
      }
    }
    for (let d = 0; d < draws; d++)
      for (const x of open) {
        if (ctx.signal.aborted) return;
        if (d > 0) x.s.redraw();
        await x.s.visit(visitShare(ctx.optionsOf(x.c).sampling, draws));
      }
  } finally {
    // closed in order; an interrupted run records none of them (redone on --resume)
    for (const x of open.splice(0)) {
      const p = await x.s.close();
      x.table.release();
      if (p) ctx.record(x.c, p);
    }
  }
}
