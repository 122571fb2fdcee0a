/**
 * Runs the cases of a scenario: groups them by host table so each table is
 * filled once, measures each case, and saves the run after every point.
 */
import { nativeErrorCode, type Addon, type HostAllocMode, type NativeTable } from '../native/addon.js';
import { methodSpec } from '../methods.js';
import { tableKey, type Case } from '../scenario/expand.js';
import { impossibleReason } from '../scenario/feasibility.js';
import type { PointResult, RunResults } from '../results/model.js';
import { saveRun } from '../results/store.js';
import { basePoint, measureCase } from './measure.js';
import { addTiming, type Timing } from '../results/timing.js';
import { performance } from 'node:perf_hooks';
import type { Progress } from './progress.js';
import type { Telemetry } from '../telemetry/session.js';

export interface RunnerContext {
  addon: Addon;
  run: RunResults;
  dir: string;
  progress: Progress;
  signal: AbortSignal;
  /** device label for a case: a GPU name, or "host" */
  deviceOf: (c: Case) => string;
  /** why this machine cannot run a case (e.g. no such GPU); undefined if it can */
  precheck?: (c: Case) => string | undefined;
  telemetry?: Telemetry;
  /** the GPUs whose power a case's telemetry reads (summed) */
  gpuUuidsOf?: (c: Case) => string[] | undefined;
  /** where the time goes: points' parts and table setup are added here */
  timing: Timing;
}

/** Cases left to do, ordered so that cases sharing a table are adjacent. */
export function pendingCases(cases: Case[], done: ReadonlySet<string>): Case[] {
  const groups = new Map<string, Case[]>();
  for (const c of cases) {
    if (done.has(c.id)) continue;
    const k = `${c.derived.tableRows}x${c.derived.rowBytes}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  // Within a table shape, cases that do not care how the host table was
  // allocated ride along with the first allocation used; within that, the
  // cases of one method are adjacent, so a table copy a method keeps (the
  // device-resident copy) is made once and dropped when its cases are done.
  return [...groups.values()].flatMap((g) => {
    const byAlloc = [...new Set(g.map(tableKey).filter((k) => !k.endsWith('/any')))];
    const rank = (c: Case) => (tableKey(c).endsWith('/any') ? 0.5 : byAlloc.indexOf(tableKey(c)));
    const methods = [...new Set(g.map((c) => c.method))];
    return [...g].sort((a, b) => rank(a) - rank(b) || methods.indexOf(a.method) - methods.indexOf(b.method));
  });
}

/** The allocation a case needs, or undefined when any host table will do. */
function allocFor(c: Case): HostAllocMode | undefined {
  return methodSpec(c.method)!.axes.includes('alloc') ? (c.values.alloc as HostAllocMode) : undefined;
}

export async function runCases(cases: Case[], ctx: RunnerContext): Promise<void> {
  const { addon, run } = ctx;
  const record = (c: Case, p: PointResult) => {
    run.points.push(p);
    const t0 = performance.now();
    saveRun(ctx.dir, run);
    ctx.timing.reportSeconds += (performance.now() - t0) / 1e3;
    ctx.progress.caseDone(c, p);
  };
  let table: NativeTable | undefined;
  let tableShape = '';
  let tableAlloc: HostAllocMode = 'malloc';
  let tableFailure: string | undefined;
  let lastMethod = '';
  try {
    for (const c of pendingCases(cases, new Set(run.points.map((p) => p.id)))) {
      if (c.method !== lastMethod) table?.dropCopies();
      lastMethod = c.method;
      if (ctx.signal.aborted) return;
      const impossible = impossibleReason(c) ?? ctx.precheck?.(c);
      if (impossible) {
        record(c, { ...basePoint(c, ctx.deviceOf(c)), reason: impossible });
        continue;
      }
      const shape = `${c.derived.tableRows}x${c.derived.rowBytes}`;
      const wanted = allocFor(c);
      const fits = tableShape === shape && (wanted === undefined || wanted === tableAlloc);
      if (!fits) {
        const alloc: HostAllocMode = wanted ?? 'malloc';
        table?.release();
        table = undefined;
        tableShape = shape;
        tableAlloc = alloc;
        tableFailure = undefined;
        const t0 = performance.now();
        try {
          table = await addon.createTable({ rows: c.derived.tableRows, rowBytes: c.derived.rowBytes, alloc, seed: run.scenario.seed });
        } catch (e) {
          if (nativeErrorCode(e) === undefined) throw e;
          tableFailure = `could not allocate the ${alloc} table: ${(e as Error).message}`;
        } finally {
          ctx.timing.setupSeconds += (performance.now() - t0) / 1e3;
        }
      }
      if (!table) {
        record(c, { ...basePoint(c, ctx.deviceOf(c)), reason: tableFailure });
        continue;
      }
      const p = await measureCase(addon, table, c, {
        seed: run.scenario.seed,
        sampling: run.scenario.sampling,
        device: ctx.deviceOf(c),
        signal: ctx.signal,
        telemetry: ctx.telemetry,
        gpuUuids: ctx.gpuUuidsOf?.(c),
      });
      if (!p) return; // aborted mid-point: not recorded, redone on resume
      if (p.timing) addTiming(ctx.timing, { ...p.timing, otherSeconds: 0 });
      record(c, p);
    }
  } finally {
    table?.release();
    addon.releaseBuffers();
  }
}
