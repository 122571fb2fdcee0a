/**
 * Measures one case on a prepared table: verified index sets, then timed
 * samples in chunks until the stopping rule says enough, then a telemetry
 * window. Returns undefined when aborted mid-point, so the point is redone on
 * --resume rather than kept half-done. Every part of the point's wall time is
 * accounted for in point.timing.
 */
import { performance } from 'node:perf_hooks';
import { nativeErrorCode, type Addon, type NativeBench, type NativeTable, type PrepareOptions } from '../native/addon.js';
import type { Case } from '../scenario/expand.js';
import type { Sampling } from '../scenario/schema.js';
import { PHASES, type Phase, type PointResult } from '../results/model.js';
import { closeTiming, emptyTiming } from '../results/timing.js';
import { summarize } from '../stats/summary.js';
import { nextChunk, stopReason } from './stopping.js';
import { gatherOf, isTrainingStep, methodSpec } from '../methods.js';
import { hostSnapshot, interferenceBetween } from '../telemetry/host-interference.js';
import type { Telemetry } from '../telemetry/session.js';

export function prepareOptions(c: Case, seed: number, flush = true): PrepareOptions {
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
    uvmReset: v.uvmReset,
    gpus: v.gpus,
    flush,
    ...(gatherOf(c.method) === 'cached-zerocopy' ? (v.cache.bytes !== undefined ? { cacheBytes: v.cache.bytes } : { cacheShare: v.cache.share }) : {}),
    ...(isTrainingStep(c.method) ? { step: v.step, hidden: v.hidden } : {}),
  };
}

export function basePoint(c: Case, device: string): PointResult {
  return { id: c.id, method: c.method, axes: c.labels, derived: c.derived, status: 'skipped', device, samples: { total: [] }, details: {} };
}

const SKIP_CODES = new Set(['OOM', 'UNSUPPORTED', 'BAD_ARGUMENT']);
/** The parts of a chunk's wall time the addon (or a peer worker) accounts for. */
const CHUNK_PARTS = ['timed', 'setup', 'warmup', 'verify', 'flush', 'launch'] as const;

/**
 * The telemetry window of a point: a quarter of its timed seconds, at least
 * MIN_WINDOW_S and at most the scenario's window, so telemetry costs in
 * proportion to the point rather than a fixed extra per point. A scenario that
 * asks for every point's energy gets its whole window: NVML's energy counter
 * advances in steps, so a reading is only as good as the window is long.
 */
export const MIN_WINDOW_S = 0.01;
export function windowSeconds(timedSeconds: number, configured: number, energy = false): number {
  if (configured <= 0) return 0;
  if (energy) return configured;
  return Math.min(configured, Math.max(MIN_WINDOW_S, timedSeconds / 4));
}

export interface MeasureOptions {
  seed: number;
  sampling: Sampling;
  device: string;
  signal: AbortSignal;
  telemetry?: Telemetry;
  gpuUuids?: string[];
  /** how the method is prepared: the addon's, or a plug-in's (the peer worker) */
  prepare?: (table: NativeTable, options: PrepareOptions) => Promise<NativeBench>;
}

export async function measureCase(addon: Addon, table: NativeTable, c: Case, o: MeasureOptions): Promise<PointResult | undefined> {
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

async function measureWith(addon: Addon, table: NativeTable, c: Case, o: MeasureOptions): Promise<PointResult | undefined> {
  const t0 = performance.now();
  const timing = emptyTiming();
  const since = (t: number) => (performance.now() - t) / 1e3;
  const point = basePoint(c, o.device);
  point.details.table = table.info().obtained;
  let bench: NativeBench;
  try {
    const options = prepareOptions(c, o.seed, o.sampling.flush);
    bench = await (o.prepare ? o.prepare(table, options) : addon.prepare(table, options));
  } catch (e) {
    const code = nativeErrorCode(e);
    if (code === undefined) throw e;
    return { ...point, status: SKIP_CODES.has(code) ? 'skipped' : 'failed', reason: (e as Error).message };
  }
  timing.setupSeconds += since(t0);
  const finish = (p: PointResult): PointResult => ({ ...p, timing: closeTiming(timing, since(t0)) });
  try {
    const total: number[] = [];
    const series = Object.fromEntries(PHASES.map((k) => [k, [] as number[]])) as Record<Phase, number[]>;
    let rowsVerified = 0, checksums = 0;
    let mode = '';
    const tSampling = performance.now();
    const hostBefore = hostSnapshot();
    for (;;) {
      if (o.signal.aborted) return undefined;
      const elapsed = since(tSampling);
      const chunk = await bench.run({ firstSample: total.length, samples: nextChunk(total.length, elapsed, o.sampling, timing.timedSeconds), warmup: total.length === 0 ? o.sampling.warmup : 0 });
      for (const k of CHUNK_PARTS) timing[`${k}Seconds`] += chunk.time[k];
      rowsVerified += chunk.verification.rowsVerified;
      checksums += chunk.checksums;
      mode = chunk.verification.mode || mode;
      if (!chunk.verification.ok) {
        return finish({
          ...point,
          status: 'failed',
          reason: `verification failed: ${chunk.verification.detail}`,
          verification: { mode, rowsVerified, badRow: chunk.verification.badRow, checkedSamples: checksums },
        });
      }
      total.push(...chunk.total);
      for (const k of PHASES) series[k].push(...(chunk[k] ?? chunk.total.map(() => NaN)));
      const reason = stopReason(total, since(tSampling), o.sampling);
      if (!reason) continue;
      const samplingSeconds = since(tSampling);
      const host = interferenceBetween(hostBefore, hostSnapshot());
      let t = performance.now();
      const launch = (await bench.launchLatency()) ?? undefined;
      timing.setupSeconds += since(t);
      const stats = summarize(total);
      const gb = c.derived.usefulBytes / 1e9;
      const phases: PointResult['phases'] = {};
      const kept = PHASES.filter((k) => series[k].some(Number.isFinite));
      for (const k of kept) phases[k] = summarize(series[k]);
      const details = Object.fromEntries(Object.entries(bench.details()).filter(([k]) => k !== 'contiguous').map(([k, v]) => [k, String(v)]));
      let telemetry;
      const window = o.telemetry ? windowSeconds(timing.timedSeconds, o.telemetry.config.windowSeconds, o.telemetry.config.energy) : 0;
      if (o.telemetry && window > 0 && !o.signal.aborted) {
        t = performance.now();
        const start = await o.telemetry.begin();
        const soak = await bench.soak({ seconds: window });
        telemetry = await o.telemetry.end(start, { uuids: o.gpuUuids, soak, usefulBytes: c.derived.usefulBytes, overPcie: methodSpec(c.method)?.source === 'pcie' });
        timing.telemetrySeconds += since(t);
      }
      return finish({
        ...point,
        status: 'ok',
        stats,
        phases,
        bandwidth: { median: gb / stats.median, ciLow: gb / stats.ciHigh, ciHigh: gb / stats.ciLow },
        // rows of every GPU (useful bytes count each GPU's batch)
        rowsPerSecond: c.derived.usefulBytes / c.derived.rowBytes / stats.median,
        samples: { total, ...Object.fromEntries(kept.map((k) => [k, series[k]])) },
        verification: { mode, rowsVerified, checkedSamples: checksums },
        stop: { reason, samples: total.length, seconds: samplingSeconds },
        details: { ...point.details, ...details, flush: o.sampling.flush ? 'cold: GPU caches and translation flushed before each sample' : 'warm: no flush between samples (sampling.flush: false)' },
        ...(launch ? { launch } : {}),
        ...(telemetry ? { telemetry } : {}),
        ...(Object.keys(host).length ? { host } : {}),
      });
    }
  } catch (e) {
    if (nativeErrorCode(e) === undefined) throw e;
    return finish({ ...point, status: 'failed', reason: (e as Error).message });
  } finally {
    bench.close();
  }
}
