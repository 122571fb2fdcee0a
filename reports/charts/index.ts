/** Every chart of the run report, in reading order; each returns nothing where the run has no data for it. */
import type { RunResults } from '../../harness/results/model.js';
import type { Chart } from './types.js';
import { bandwidthByWidth, ceilingShare } from './bandwidth-by-width.js';
import { speedupHeatmap } from './speedup-heatmap.js';
import { alignmentGain } from './alignment-gain.js';
import { tableSizeSweep } from './table-size.js';
import { contentionChart } from './contention.js';
import { cpuCost, gpuEnergy } from './cpu-energy.js';
import { latencyBoxes } from './latency-box.js';
import { modelFit } from './model-fit.js';
import { cacheShareChart } from './cache-share.js';
import { stepAnatomyChart } from './step-anatomy.js';

const BUILDERS: ((run: RunResults) => Chart | undefined)[] = [bandwidthByWidth, ceilingShare, speedupHeatmap, alignmentGain, tableSizeSweep, cacheShareChart, contentionChart, stepAnatomyChart, cpuCost, gpuEnergy, modelFit, latencyBoxes];

export function runCharts(run: RunResults): Chart[] {
  return BUILDERS.map((b) => b(run)).filter((c): c is Chart => c !== undefined);
}
