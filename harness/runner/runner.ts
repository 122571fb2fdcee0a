/**
 * Runs the cases of a scenario: host memory is allocated, filled and pinned
 * once per allocation mode (every table shape is a view of it), cases run
 * method by method, largest first (so buffers kept across points are
 * allocated once), the CPU path's last and in turns (draws.ts), and every
 * finished point is journaled to disk at once.
 */
import { performance } from 'node:perf_hooks';
import { nativeErrorCode, type Addon, type HostAllocMode, type NativeStorage, type NativeTable, type PrepareOptions } from '../native/addon.js';
import type { PeerSession } from '../peers/session.js';
import { methodSpec } from '../methods.js';
import type { Case } from '../scenario/expand.js';
import { impossibleReason } from '../scenario/feasibility.js';
import type { PointResult, RunResults } from '../results/model.js';
import { journalPoint } from '../results/store.js';
import { addTiming, type Timing } from '../results/timing.js';
import { basePoint, drawsFor, measureCase } from './measure.js';
import type { MeasureOptions } from './point-options.js';
import { drawBatches, isDrawn, measureDrawn } from './draws.js';
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
  /** where the time goes: points' parts and host-memory setup are added here */
  timing: Timing;
  /** the peer worker, where the run has peer methods */
  peers?: PeerSession;
}

/** The allocation a case needs, or undefined when any host memory will do. */
function allocFor(c: Case): HostAllocMode | undefined {
  return methodSpec(c.method)!.axes.includes('alloc') ? (c.values.alloc as HostAllocMode) : undefined;
}

/**
 * Cases left to do, in groups that share one host storage: one group per
 * allocation mode, in the scenario's order; cases that take any host memory
 * ride along with the first group. Within a group, the cases of one method
 * are adjacent (a table copy a method keeps is made once) and largest first
 * (a buffer grown for the largest is reused by the rest).
 */
export function storageGroups(cases: Case[], done: ReadonlySet<string>): { alloc: HostAllocMode; cases: Case[] }[] {
  const todo = cases.filter((c) => !done.has(c.id));
  const modes = [...new Set(todo.map(allocFor).filter((a): a is HostAllocMode => a !== undefined))];
  const groups = modes.map((alloc) => ({ alloc, cases: todo.filter((c) => allocFor(c) === alloc) }));
  const any = todo.filter((c) => allocFor(c) === undefined);
  if (any.length) {
    if (groups.length) groups[0].cases.push(...any);
    else groups.push({ alloc: any[0].values.alloc as HostAllocMode, cases: any }); // 'auto' is resolved before the run
  }
  const methods = [...new Set(todo.map((c) => c.method))];
  for (const g of groups) g.cases.sort((a, b) => methods.indexOf(a.method) - methods.indexOf(b.method) || b.derived.usefulBytes - a.derived.usefulBytes);
  return groups;
}

export async function runCases(cases: Case[], ctx: RunnerContext): Promise<void> {
  const { addon, run } = ctx;
  const record = (c: Case, p: PointResult) => {
    run.points.push(p);
    const t0 = performance.now();
    journalPoint(ctx.dir, p);
    ctx.timing.reportSeconds += (performance.now() - t0) / 1e3;
    ctx.progress.caseDone(c, p);
  };
  const setup = async <T>(f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      ctx.timing.setupSeconds += (performance.now() - t0) / 1e3;
    }
  };
  try {
    for (const group of storageGroups(cases, new Set(run.points.map((p) => p.id)))) {
      if (ctx.signal.aborted) return;
      const runnable: Case[] = [];
      for (const c of group.cases) {
        const impossible = impossibleReason(c) ?? ctx.precheck?.(c);
        if (impossible) record(c, { ...basePoint(c, ctx.deviceOf(c)), reason: impossible });
        else runnable.push(c);
      }
      if (!runnable.length) continue;
      const bytes = Math.max(...runnable.map((c) => c.derived.tableBytes));
      let storage: NativeStorage | undefined;
      let failure: string | undefined;
      try {
        storage = await setup(() => addon.createStorage({ bytes, alloc: group.alloc, seed: run.scenario.seed }));
      } catch (e) {
        if (nativeErrorCode(e) === undefined) throw e;
        failure = `could not allocate the ${group.alloc} table: ${(e as Error).message}`;
      }
      const optionsOf = (c: Case): MeasureOptions => ({
        seed: run.scenario.seed,
        sampling: run.scenario.sampling,
        device: ctx.deviceOf(c),
        signal: ctx.signal,
        telemetry: ctx.telemetry,
        gpuUuids: ctx.gpuUuidsOf?.(c),
        ...(methodSpec(c.method)!.backend === 'peer' && ctx.peers ? { prepare: (t: NativeTable, o: PrepareOptions) => ctx.peers!.prepare(addon, t, o) } : {}),
      });
      const measured = (c: Case, p: PointResult) => {
        if (p.timing) addTiming(ctx.timing, { ...p.timing, otherSeconds: 0 });
        record(c, p);
      };
      const facts = addon.facts();
      const draws = drawsFor(run.scenario.sampling);
      const drawn = storage ? runnable.filter((c) => isDrawn(c, draws, facts)) : [];
      try {
        let lastMethod = '';
        for (const c of runnable.filter((x) => !drawn.includes(x))) {
          if (ctx.signal.aborted) return;
          if (!storage) {
            record(c, { ...basePoint(c, ctx.deviceOf(c)), reason: failure });
            continue;
          }
          if (c.method !== lastMethod) storage.dropCopies(); // the previous method's table copies are done
          lastMethod = c.method;
          const table = storage.view({ rows: c.derived.tableRows, rowBytes: c.derived.rowBytes });
          const p = await measureCase(addon, table, c, optionsOf(c));
          table.release();
          if (!p) return; // aborted mid-point: not recorded, redone on resume
          measured(c, p);
        }
        // the CPU path last, its points in turns: each point's draws spread over the batch's time
        if (storage) storage.dropCopies();
        for (const batch of drawBatches(drawn)) {
          if (ctx.signal.aborted) return;
          await measureDrawn(batch, draws, { addon, tableOf: (c) => storage!.view({ rows: c.derived.tableRows, rowBytes: c.derived.rowBytes }), optionsOf, record: measured, signal: ctx.signal });
        }
      } finally {
        if (storage) await setup(() => storage.release());
      }
    }
  } finally {
    addon.releaseBuffers();
  }
}
