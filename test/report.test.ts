import { describe, expect, it } from 'vitest';
import { findingText } from './fixtures.js';
import { renderRunReport, warnings } from '../reports/html.js';
import { HOST_ONLY_LABEL } from '../harness/results/model.js';
import { fakeRun as baseRun, point } from './fixtures.js';
import { sig, spanOf } from '../reports/format.js';
import { findings } from '../reports/findings.js';
import { loadRun } from '../harness/results/store.js';

const T = [1e-3, 1.1e-3, 0.9e-3];
function fakeRun(points: ReturnType<typeof point>[]) {
  return { ...baseRun(points), unavailable: [{ method: 'zerocopy-aligned', reason: 'no CUDA driver on this machine' }] };
}

describe('run report', () => {
  it('is self-contained: vega inlined, no external scripts or stylesheets', () => {
    const html = renderRunReport(fakeRun([point('host-gather-copy a', T), point('host-gather-copy b', T, { axes: { width: '100', batch: '1024' } })]));
    expect(html).toMatch(/<script>.*vega/s);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('vegaEmbed(');
    expect(html).toContain('results.csv');
  });

  it('says host-only, failed points and unavailable methods up front', () => {
    const run = fakeRun([point('m0', T, { status: 'failed', reason: 'verification failed: output row 3 differs', stats: undefined, bandwidth: undefined })]);
    const w = warnings(run);
    expect(w[0]).toContain(HOST_ONLY_LABEL);
    expect(w.join('\n')).toMatch(/1 point\(s\) failed: m0 \(verification failed: output row 3 differs\)/);
    expect(w.join('\n')).toMatch(/zerocopy-aligned unavailable: no CUDA driver/);
    expect(renderRunReport(run)).toContain('class="failed"');
  });

  it('escapes text from the scenario', () => {
    const run = fakeRun([point('host-gather-copy a', T)]);
    run.scenario.description = '<img src=x onerror=alert(1)>';
    expect(renderRunReport(run)).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('comparison report', () => {
  it('keeps each run\'s warnings, and draws one bar per run per point with whole labels', async () => {
    const { loadRun } = await import('../harness/results/store.js');
    const { labelRuns, compareRuns, renderComparison, comparisonCharts } = await import('../reports/compare.js');
    const runs = labelRuns(['docs/runs/h100-multi-gpu-same-device', 'docs/runs/h200x2-multi-gpu'].map((d) => loadRun(d)));
    const c = compareRuns(runs);
    expect(renderComparison(c)).toContain('GATHERBENCH_TEST_SAME_DEVICE');
    const bars = comparisonCharts(c)[0].spec as { spec: { height: { step: number }; encoding: { y: { axis: { labelLimit: number } }; yOffset: unknown } } };
    expect(bars.spec.height.step).toBeGreaterThan(4);
    expect(bars.spec.encoding.yOffset).toEqual({ field: 'run' });
    expect(bars.spec.encoding.y.axis.labelLimit).toBeGreaterThanOrEqual(400);
  });
});

describe('points without a confidence interval', () => {
  it('read "CI n/a (3 samples)" after a rebuild from results.json, are counted in a banner and ringed in the chart', async () => {
    const { saveRun, loadRun } = await import('../harness/results/store.js');
    const { tmpDir } = await import('./helpers.js');
    const { runCharts } = await import('../reports/charts/index.js');
    const dir = tmpDir();
    saveRun(dir, fakeRun([point('host-gather-copy a', [1e-3, 1.1e-3, 0.9e-3]), point('host-gather-copy b', Array.from({ length: 30 }, (_, i) => 1e-3 + i * 1e-9), { axes: { width: '100', batch: '1024' } })]));
    const { run } = loadRun(dir); // through JSON: Infinity became null
    const html = renderRunReport(run);
    expect(html).toContain('CI n/a (3 samples)');
    expect(html).not.toMatch(/>0\.0%</);
    expect(warnings(run).join('\n')).toMatch(/1 point\(s\) had too few samples for a 95% confidence interval/);
    const bw = runCharts(run).find((c) => c.id === 'bandwidth-by-width')!.spec as { data: { values: { precise: boolean; ci: string }[] } };
    expect(bw.data.values.map((r) => r.precise).sort()).toEqual([false, true]);
  });
});

describe('numbers in findings', () => {
  it('keep a measured small figure (0.00039, not 0.000) and say one figure where a span has one', () => {
    expect(sig(0.000391)).toBe('0.00039');
    expect(sig(0.353)).toBe('0.35');
    expect(sig(7.26)).toBe('7.26');
    expect(sig(0)).toBe('0');
    expect(spanOf([1.071, 1.069], 'x')).toBe('1.07x');
    expect(spanOf([0.98, 1.06], 'x')).toBe('0.98-1.06x');
  });

  it('state the stored H100 CPU cost of zero-copy with its digits', () => {
    const { run } = loadRun('docs/runs/h100-pytorch-direct');
    const text = findingText(findings(run).find((f) => f.title === 'CPU and energy savings')!);
    expect(text).toMatch(/CPU: 0\.35 vs 0\.00039 CPU-seconds per GB \(7\.26 vs 0\.019 cores busy\)/);
  });
});

describe('findings as a reader takes them in', () => {
  it('every finding of every stored reference run has a headline of at most 300 characters, its detail in a table', async () => {
    const { readdirSync, existsSync } = await import('node:fs');
    const path = await import('node:path');
    const { loadRun } = await import('../harness/results/store.js');
    const { findings } = await import('../reports/findings.js');
    const { HEADLINE_MAX } = await import('../reports/finding.js');
    const dirs: string[] = [];
    const walk = (d: string) => (existsSync(path.join(d, 'results.json')) ? dirs.push(d) : readdirSync(d, { withFileTypes: true }).filter((x) => x.isDirectory()).forEach((x) => walk(path.join(d, x.name))));
    walk('docs/runs');
    expect(dirs.length).toBeGreaterThan(10);
    let seen = 0;
    for (const d of dirs)
      for (const f of findings(loadRun(d).run)) {
        seen++;
        expect(f.headline.length, `${d}: ${f.title}`).toBeLessThanOrEqual(HEADLINE_MAX);
        expect(f.headline.split(/(?<=[.!?])\s+(?=[A-Z])/).length, `${d}: ${f.title}: at most two sentences`).toBeLessThanOrEqual(2);
        for (const r of f.detail?.rows ?? []) expect(r).toHaveLength(f.detail!.columns.length);
      }
    expect(seen).toBeGreaterThan(30);
  }, 180000); // the model's fit of 47 runs: tens of seconds on a busy 2-core machine
});

describe('the answer first', () => {
  it("names the fastest gather from host memory with its figure, its margin and where, leaving out the ceilings and the bound", async () => {
    const { answerOf } = await import('../reports/answer.js');
    const { fakeRun, point, samples } = await import('./fixtures.js');
    const pt = (method: string, width: number, ms: number) => point(`${method} width=${width}`, samples(20, ms * 1e-3, 0.001, width), { method, axes: { width: String(width), batch: '65536' } });
    const run = fakeRun([pt('zerocopy-aligned', 32, 1), pt('cpu-gather-memcpy', 32, 2), pt('device-resident', 32, 0.1), pt('pinned-memcpy', 32, 0.5), pt('zerocopy-aligned', 1024, 4), pt('cpu-gather-memcpy', 1024, 3)], { gpu: 'H100' });
    const a = answerOf(run)!;
    expect(a).toMatch(/^The fastest gather from host memory: zerocopy-aligned, at 1 of 2 workloads, 2\.00x at \d+ B rows: [\d.]+ GB\/s against [\d.]+ GB\/s for cpu-gather-memcpy; elsewhere cpu-gather-memcpy at 1\.$/);
    expect(a).not.toMatch(/device-resident|pinned-memcpy/);
  });
});

describe('the table of every point', () => {
  it("folds each point's notes away and writes the addon's six-decimal numbers as numbers", async () => {
    const { tidyNumber } = await import('../reports/html.js');
    expect(tidyNumber('68719476736.000000')).toBe('68,719,476,736');
    expect(tidyNumber('0.123456789')).toBe('0.1235');
    expect(tidyNumber('warp per row')).toBe('warp per row');
  });

  it("puts the peers first where the run measured them (the papers' question)", async () => {
    const fs = findings(loadRun('docs/runs/h100-peers').run);
    expect(fs[0].title).toBe('Against what users run today');
  });
});
