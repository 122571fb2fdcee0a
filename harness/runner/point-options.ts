/** What a point is prepared and measured with: the bench's options, its empty result, its telemetry window. */
import type { NativeBench, NativeTable, PrepareOptions } from '../native/addon.js';
import type { Case } from '../scenario/expand.js';
import type { Sampling } from '../scenario/schema.js';
import type { PointResult } from '../results/model.js';
import { gatherOf, isTrainingStep } from '../methods.js';
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

