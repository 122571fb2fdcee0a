/**
 * The one result model every printer (CSV, JSON, markdown, HTML report,
 * comparison) reads. results.json is this, serialized.
 */
import type { HostInterference } from '../telemetry/host-interference.js';
import type { Summary } from '../stats/summary.js';
import type { Derived } from '../scenario/expand.js';
import type { AxisName } from '../scenario/axes.js';
import type { Scenario } from '../scenario/schema.js';
import type { StopReason } from '../runner/stopping.js';
import type { Environment } from '../env/environment.js';
import type { PointTelemetry, RunTelemetry } from '../telemetry/types.js';
import type { Timing } from './timing.js';

export const RESULTS_SCHEMA = 'gatherbench/results@1';
export const HOST_ONLY_LABEL = 'host-only (no CUDA device)';

export type PointStatus = 'ok' | 'failed' | 'skipped';

/**
 * Parts of a sample a method times apart from its total: a CPU path's gather and copy; a training step's
 * gather and layer (beside each other where pipelined) and the two measured alone in the same sample.
 */
export const PHASES = ['gather', 'copy', 'compute', 'gatherAlone', 'computeAlone'] as const;
export type Phase = (typeof PHASES)[number];

export interface PointResult {
  id: string;
  method: string;
  /** the method's own axes, as labels */
  axes: Partial<Record<AxisName, string>>;
  derived: Derived;
  status: PointStatus;
  /** why a point failed or was skipped */
  reason?: string;
  /** where it ran: a GPU name, or "host" */
  device: string;
  stats?: Summary;
  phases?: Partial<Record<Phase, Summary>>;
  /** useful bytes / time, GB/s (1e9): at the median and at the CI bounds */
  bandwidth?: { median: number; ciLow: number; ciHigh: number };
  rowsPerSecond?: number;
  samples: { total: number[] } & Partial<Record<Phase, number[]>>;
  /** rowsVerified: rows compared with the table (each index set once); checkedSamples: timed samples
   * whose whole output matched its set's reference checksum */
  verification?: { mode: string; rowsVerified: number; badRow?: number; checkedSamples?: number };
  stop?: { reason: StopReason; samples: number; seconds: number };
  /** a point sampled in draws (the CPU path): each draw's median, seconds; stats.median is their geometric mean */
  draws?: { medians: number[] };
  /** settings the backend resolved (grid, pinned or not, huge pages obtained, ...) */
  details: Record<string, string>;
  /** CPU, power and energy over the point's telemetry window */
  telemetry?: PointTelemetry;
  /** empty-kernel launch latency on the point's stream: ungated (what an event pair around a launch
   * includes, and what the gated sample times no longer contain) and gated (the floor of a gated time) */
  launch?: { ungatedUs: number; gatedUs: number };
  /** where the point's wall time went (wallSeconds: from preparing to closing the method) */
  timing?: Timing;
  /** CPU time the machine took away while the point sampled (steal, quota throttling), where readable */
  host?: HostInterference;
}

export interface RunResults {
  schema: typeof RESULTS_SCHEMA;
  tool: { name: 'gatherbench'; version: string };
  scenario: Scenario & { file: string };
  /** "cuda: <GPU>" or the host-only label */
  backend: string;
  hostOnly: boolean;
  status: 'running' | 'complete' | 'interrupted';
  startedAt: string;
  finishedAt?: string;
  environment: Environment;
  telemetry?: RunTelemetry;
  /** run-level warnings: slow PCIe link, throttling, sampler overhead */
  warnings?: string[];
  unavailable: { method: string; reason: string }[];
  /** cases expanded, for progress and resume */
  plannedPoints: number;
  /** the points this run was limited to (run --only), if it was */
  only?: string[];
  /** where the run's wall time went; the parts add up to wallSeconds (summed over resumed sessions) */
  timing?: Timing;
  points: PointResult[];
}
