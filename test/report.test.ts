import { describe, expect, it } from 'vitest';
import { renderRunReport, warnings } from '../reports/html.js';
import { HOST_ONLY_LABEL, RESULTS_SCHEMA, type RunResults, type PointResult } from '../harness/results/model.js';
import { summarize } from '../harness/stats/summary.js';

export function fakeRun(points: Partial<PointResult>[] = []): RunResults {
  const base = (p: Partial<PointResult>, i: number): PointResult => {
    const total = [1e-3, 1.1e-3, 0.9e-3];
    const stats = summarize(total);
    return {
      id: `m${i}`, method: 'host-gather-copy', axes: { width: '16', batch: '1024', dtype: 'fp32' }, status: 'ok', device: 'host',
      derived: { elemBytes: 4, rowBytes: 64, tableRows: 100, tableBytes: 6400, usefulBytes: 65536 },
      stats, bandwidth: { median: 0.065536 / stats.median, ciLow: 0.06, ciHigh: 0.07 }, samples: { total }, details: {}, ...p,
    };
  };
  return {
    schema: RESULTS_SCHEMA, tool: { name: 'gatherbench', version: '0.0.0' },
    scenario: { name: 'fake', description: 'd', methods: 'all', seed: 1, axes: {}, exclude: [], sampling: { warmup: 1, minSamples: 3, maxSamples: 5, budget: 1, precision: 0.1 }, file: 'f.yaml' },
    backend: HOST_ONLY_LABEL, hostOnly: true, status: 'complete', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z',
    environment: {
      host: { hostname: 'h', os: 'os', kernel: 'k', arch: 'x64', virtualization: 'none' },
      cpu: { model: 'cpu', cores: 2, physicalCores: 2, sockets: 1, numaNodes: 1 }, memory: { total: 1, available: 1 },
      node: 'v20', addon: { cuda: false, hardwareThreads: 2 }, gitCommit: 'abc',
    },
    unavailable: [{ method: 'zerocopy-aligned', reason: 'no CUDA driver on this machine' }],
    plannedPoints: points.length, points: points.map(base),
  };
}

describe('run report', () => {
  it('is self-contained: vega inlined, no external scripts or stylesheets', () => {
    const html = renderRunReport(fakeRun([{}, { id: 'm1', axes: { width: '100', batch: '1024' } }]));
    expect(html).toMatch(/<script>.*vega/s);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('vegaEmbed(');
    expect(html).toContain('results.csv');
  });

  it('says host-only, failed points and unavailable methods up front', () => {
    const run = fakeRun([{ status: 'failed', reason: 'verification failed: output row 3 differs', stats: undefined, bandwidth: undefined }]);
    const w = warnings(run);
    expect(w[0]).toContain(HOST_ONLY_LABEL);
    expect(w.join('\n')).toMatch(/1 point\(s\) failed: m0 \(verification failed: output row 3 differs\)/);
    expect(w.join('\n')).toMatch(/zerocopy-aligned unavailable: no CUDA driver/);
    expect(renderRunReport(run)).toContain('class="failed"');
  });

  it('escapes text from the scenario', () => {
    const run = fakeRun([{}]);
    run.scenario.description = '<img src=x onerror=alert(1)>';
    expect(renderRunReport(run)).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
