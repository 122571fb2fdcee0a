/**
 * Measures one case on a prepared table: warm-up, then verified samples in
 * chunks until the stopping rule says enough. Returns undefined when aborted
 * mid-point, so the point is redone on --resume rather than kept half-done.
 */
import { performance } from 'node:perf_hooks';
import { nativeErrorCode, type Addon, type NativeTable, type PrepareOptions } from '../native/addon.js';
import type { Case } from '../scenario/expand.js';
import type { Sampling } from '../scenario/schema.js';
import type { PointResult } from '../results/model.js';
import { summarize } from '../stats/summary.js';
import { nextChunk, stopReason } from './stopping.js';
import type { Telemetry } from '../telemetry/session.js';

export function prepareOptions(c: Case, seed: number): PrepareOptions {
  const v = c.values;
  return {
    method: c.method,
    batch: v.batch,
    elemBytes: c.derived.elemBytes,
    threads: v.threads,
    distribution: v.distribution,
    seed,
    device: v.device,
    mapping: v.mapping,
    vectorBytes: v.vector === 'elem' ? 0 : v.vector,
    block: v.block,
    grid: v.grid,
    pipeline: v.pipeline,
    uvmAdvise: v.uvmAdvise,
    gpus: v.gpus,
  };
}

export function basePoint(c: Case, device: string): PointResult {
  return { id: c.id, method: c.method, axes: c.labels, derived: c.derived, status: 'skipped', device, samples: { total: [] }, details: {} };
}

const SKIP_CODES = new Set(['OOM', 'UNSUPPORTED', 'BAD_ARGUMENT']);

export async function measureCase(
  addon: Addon,
  table: NativeTable,
  c: Case,
  o: { seed: number; sampling: Sampling; device: string; signal: AbortSignal; telemetry?: Telemetry; gpuUuids?: string[] },
): Promise<PointResult | undefined> {
  const contention = c.values.contention > 0 ? new addon.Contention({ threads: c.values.contention }) : undefined;
  let stopped = false;
  const stopContention = () => {
    if (!contention || stopped) return undefined;
    stopped = true;
    return contention.stop();
  };
  try {
    const p = await measureWith(addon, table, c, o);
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

async function measureWith(
  addon: Addon,
  table: NativeTable,
  c: Case,
  o: { seed: number; sampling: Sampling; device: string; signal: AbortSignal; telemetry?: Telemetry; gpuUuids?: string[] },
): Promise<PointResult | undefined> {
  const point = basePoint(c, o.device);
  point.details.table = table.info().obtained;
  let bench;
  try {
    bench = await addon.prepare(table, prepareOptions(c, o.seed));
  } catch (e) {
    const code = nativeErrorCode(e);
    if (code === undefined) throw e;
    return { ...point, status: SKIP_CODES.has(code) ? 'skipped' : 'failed', reason: (e as Error).message };
  }
  try {
    const total: number[] = [], gather: number[] = [], copy: number[] = [];
    let rowsVerified = 0;
    let mode = '';
    const t0 = performance.now();
    for (;;) {
      if (o.signal.aborted) return undefined;
      const elapsed = (performance.now() - t0) / 1e3;
      const chunk = await bench.run({ firstSample: total.length, samples: nextChunk(total.length, elapsed, o.sampling), warmup: total.length === 0 ? o.sampling.warmup : 0 });
      rowsVerified += chunk.verification.rowsVerified;
      mode = chunk.verification.mode;
      if (!chunk.verification.ok) {
        return {
          ...point,
          status: 'failed',
          reason: `verification failed: ${chunk.verification.detail}`,
          verification: { mode, rowsVerified, badRow: chunk.verification.badRow },
        };
      }
      total.push(...chunk.total);
      gather.push(...chunk.gather);
      copy.push(...chunk.copy);
      const reason = stopReason(total, (performance.now() - t0) / 1e3, o.sampling);
      if (reason) {
        const stats = summarize(total);
        const gb = c.derived.usefulBytes / 1e9;
        const phases: PointResult['phases'] = {};
        if (gather.some(Number.isFinite)) phases.gather = summarize(gather);
        if (copy.some(Number.isFinite)) phases.copy = summarize(copy);
        const details = Object.fromEntries(Object.entries(bench.details()).filter(([k]) => k !== 'contiguous').map(([k, v]) => [k, String(v)]));
        let telemetry;
        if (o.telemetry && o.telemetry.config.windowSeconds > 0 && !o.signal.aborted) {
          const start = o.telemetry.begin();
          const soak = await bench.soak({ seconds: o.telemetry.config.windowSeconds });
          telemetry = o.telemetry.end(start, { uuids: o.gpuUuids, soak, usefulBytes: c.derived.usefulBytes });
        }
        return {
          ...point,
          status: 'ok',
          stats,
          phases,
          bandwidth: { median: gb / stats.median, ciLow: gb / stats.ciHigh, ciHigh: gb / stats.ciLow },
          rowsPerSecond: c.values.batch / stats.median,
          samples: { total, ...(phases.gather ? { gather } : {}), ...(phases.copy ? { copy } : {}) },
          verification: { mode, rowsVerified },
          stop: { reason, samples: total.length, seconds: (performance.now() - t0) / 1e3 },
          details: { ...point.details, ...details },
          ...(telemetry ? { telemetry } : {}),
        };
      }
    }
  } catch (e) {
    if (nativeErrorCode(e) === undefined) throw e;
    return { ...point, status: 'failed', reason: (e as Error).message };
  } finally {
    bench.close();
  }
}
