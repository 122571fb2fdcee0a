/**
 * A training step's anatomy, from one step-* point (native/src/training_step.cc): its parts measured alone in
 * the same samples, each part's time beside the other (pipelined), what the overlap hid, and the step
 * predicted from the parts: with no interference (serial: the sum; pipelined: the longer part) and with the
 * slowdowns each part suffered beside the other (the longer of the two beside). What the second prediction
 * misses is the step's own cost: the two streams' start and end, outside either part.
 */
import type { PointResult } from '../results/model.js';
import { gatherOf, isTrainingStep } from '../methods.js';

export interface StepAnatomy {
  method: string;
  /** the gather method the step runs */
  gather: string;
  mode: 'serial' | 'pipelined';
  /** medians, seconds */
  stepS: number;
  gatherAloneS: number;
  layerAloneS: number;
  /** pipelined: each part beside the other (serial: the parts alone) */
  gatherBesideS: number;
  layerBesideS: number;
  /** beside / alone */
  gatherSlowdown: number;
  layerSlowdown: number;
  /** the share of the shorter part the overlap hid: (gather alone + layer alone - step) / the shorter; 0 where serial */
  overlap: number;
  /** the step from the parts alone: their sum (serial) or the longer (pipelined) */
  predictedNoInterferenceS: number;
  /** the step from the parts beside each other: the longer of the two (serial: the sum) */
  predictedWithSlowdownsS: number;
  /**
   * pipelined: the step was shorter than its longer part alone beyond the noise of both medians (the step's
   * 95% CI wholly below that part's). A step cannot beat its longer part; a median a little under it is noise.
   */
  shorterThanLongerPart: boolean;
  /** the layer's FLOP rate alone, GFLOP/s (from the point's recorded FLOPs) */
  layerGflops?: number;
  /** GPU energy and method CPU-seconds per step, over the point's telemetry window (steps back to back) */
  gpuJPerStep?: number;
  cpuJPerStep?: number;
  cpuSecondsPerStep?: number;
}

export function stepAnatomy(p: PointResult): StepAnatomy | undefined {
  if (!isTrainingStep(p.method) || p.status !== 'ok' || !p.stats) return undefined;
  const ph = p.phases ?? {};
  const gA = ph.gatherAlone?.median, cA = ph.computeAlone?.median;
  if (gA === undefined || cA === undefined) return undefined;
  const mode = p.axes.step === 'serial' ? 'serial' : 'pipelined';
  const gB = mode === 'pipelined' ? ph.gather?.median ?? gA : gA;
  const cB = mode === 'pipelined' ? ph.compute?.median ?? cA : cA;
  const step = p.stats.median;
  const longerAlone = gA >= cA ? ph.gatherAlone : ph.computeAlone;
  const flops = Number(p.details['layer flops']);
  const t = p.telemetry;
  const per = (x: number | undefined) => (t && t.iterations > 0 && x !== undefined ? x / t.iterations : undefined);
  return {
    method: p.method,
    gather: gatherOf(p.method),
    mode,
    stepS: step,
    gatherAloneS: gA,
    layerAloneS: cA,
    gatherBesideS: gB,
    layerBesideS: cB,
    gatherSlowdown: gB / gA,
    layerSlowdown: cB / cA,
    overlap: mode === 'serial' ? 0 : (gA + cA - step) / Math.min(gA, cA),
    predictedNoInterferenceS: mode === 'serial' ? gA + cA : Math.max(gA, cA),
    predictedWithSlowdownsS: mode === 'serial' ? gA + cA : Math.max(gB, cB),
    shorterThanLongerPart: mode === 'pipelined' && longerAlone !== undefined && p.stats.ciHigh < longerAlone.ciLow,
    ...(Number.isFinite(flops) && flops > 0 ? { layerGflops: flops / cA / 1e9 } : {}),
    ...(per(t?.gpu?.energyJ) !== undefined ? { gpuJPerStep: per(t?.gpu?.energyJ) } : {}),
    ...(per(t?.cpuPackage?.energyJ) !== undefined ? { cpuJPerStep: per(t?.cpuPackage?.energyJ) } : {}),
    ...(per(t?.methodCpuSeconds) !== undefined ? { cpuSecondsPerStep: per(t?.methodCpuSeconds) } : {}),
  };
}
