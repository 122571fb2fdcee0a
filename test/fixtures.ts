/** Made-up runs and points for tests of the printers, reports and the regression gate. */
import { HOST_ONLY_LABEL, RESULTS_SCHEMA, type PointResult, type RunResults } from '../harness/results/model.js';
import { summarize } from '../harness/stats/summary.js';
import { saveRun } from '../harness/results/store.js';
import { rng } from '../harness/stats/rng.js';
import { tmpDir } from './helpers.js';
import type { Finding } from '../reports/finding.js';
import { compareRunPoints, type CompareOptions, type PointComparison } from '../harness/compare/verdict.js';

/** n timing samples around `median` seconds with relative noise `noise` (log-normal-ish, skewed like real timings). */
export function samples(n: number, median: number, noise: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()); // Box-Muller
    return median * Math.exp(noise * g);
  });
}

export function point(id: string, total: number[], over: Partial<PointResult> = {}): PointResult {
  const stats = summarize(total);
  const useful = 65536;
  return {
    id, method: id.split(' ')[0], axes: { width: '16', batch: '1024', dtype: 'fp32' }, status: 'ok', device: 'host',
    derived: { elemBytes: 4, rowBytes: 64, tableRows: 100, tableBytes: 6400, usefulBytes: useful },
    stats, bandwidth: { median: useful / 1e9 / stats.median, ciLow: useful / 1e9 / stats.ciHigh, ciHigh: useful / 1e9 / stats.ciLow },
    samples: { total }, details: {}, ...over,
  };
}

export function fakeRun(points: PointResult[], o: { gpu?: string; driver?: string; commit?: string; startedAt?: string } = {}): RunResults {
  const cuda = o.gpu
    ? { built: true, available: true, runtimeVersion: 13000, driverVersion: 13000, devices: [{ index: 0, name: o.gpu, uuid: 'GPU-x', pciBusId: '0', computeCapability: '9.0', sms: 132, totalMemory: 1, freeMemory: 1, l2Bytes: 1, canMapHostMemory: true, managedMemory: true, concurrentManagedAccess: true, pageableMemoryAccess: false }] }
    : undefined;
  return {
    schema: RESULTS_SCHEMA, tool: { name: 'gatherbench', version: '0.0.0' },
    scenario: { name: 'fake', description: 'd', methods: 'all', seed: 1, axes: {}, exclude: [], sampling: { warmup: 1, minSamples: 3, maxSamples: 5, budget: 1, precision: 0.1, minTime: 0, flush: true }, telemetry: { interval: 0.1, window: 0, idle: 0 }, file: 'f.yaml' },
    backend: o.gpu ? `cuda: ${o.gpu}` : HOST_ONLY_LABEL, hostOnly: !o.gpu, status: 'complete', startedAt: o.startedAt ?? '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z',
    environment: {
      host: { hostname: 'h', os: 'os', kernel: 'k', arch: 'x64', virtualization: 'none' },
      cpu: { model: 'cpu', cores: 2, physicalCores: 2, sockets: 1, numaNodes: 1 }, memory: { total: 1, available: 1 },
      node: 'v20', addon: { cuda: !!o.gpu, hardwareThreads: 2 }, cuda, gitCommit: o.commit ?? 'abc',
    },
    telemetry: o.gpu ? { intervalMs: 100, windowSeconds: 0, sources: {}, gpus: [{ uuid: 'GPU-x', cudaIndex: 0, name: o.gpu, driver: o.driver ?? '580.1' }] } : undefined,
    unavailable: [], plannedPoints: points.length, points,
  };
}

/** Saves a run into a fresh directory and returns it. */
export function savedRun(run: RunResults): string {
  const dir = tmpDir('gb-run-');
  saveRun(dir, run);
  return dir;
}

/** One point against its baseline runs (and history medians of it), judged as compare judges a run: a family of one. */
export function comparePoint(bases: PointResult | PointResult[], cand: PointResult, o: CompareOptions, history: number[] = []): PointComparison {
  const all = Array.isArray(bases) ? bases : [bases];
  const asRun = (p: PointResult) => ({ points: [p] }) as unknown as RunResults;
  return compareRunPoints(all.map(asRun), asRun(cand), o, history.map((t) => new Map([[cand.id, t]])))[0];
}

/** A finding's headline and detail rows as one line of text, for matching. */
export const findingText = (f: Finding): string => [f.headline, ...(f.detail?.rows.map((r) => r.join(' | ')) ?? [])].join(' ');
