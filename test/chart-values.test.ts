/**
 * Charts checked by what they plot: each chart's vega-lite spec is compiled
 * and run headless (vega's View, no browser), and the data behind its marks
 * is compared with the run's numbers.
 */
import { describe, expect, it } from 'vitest';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Chart } from '../reports/charts/types.js';
import { alignmentGain } from '../reports/charts/alignment-gain.js';
import { loadRun } from '../harness/results/store.js';
import { runCharts } from '../reports/charts/index.js';
import { seriesColors } from '../reports/charts/colors.js';
import { speedups } from '../reports/charts/data.js';
import { fakeRun, point } from './fixtures.js';

/** The data items behind every mark of a chart, by mark type. */
async function plotted(chart: Chart): Promise<{ mark: string; datum: Record<string, unknown> }[]> {
  const view = new vega.View(vega.parse(compile(chart.spec as unknown as TopLevelSpec, { logger: vega.logger(vega.None) }).spec), { renderer: 'none', logLevel: vega.None });
  await view.runAsync();
  const out: { mark: string; datum: Record<string, unknown> }[] = [];
  const walk = (node: { marktype?: string; items?: unknown[]; datum?: Record<string, unknown> }, mark?: string) => {
    if (node.datum && mark && node.datum.gain !== undefined) out.push({ mark, datum: node.datum });
    for (const child of (node.items ?? []) as (typeof node)[]) walk(child, node.marktype ?? mark);
  };
  walk(view.scenegraph().root as never);
  view.finalize();
  return out;
}

describe('alignment gain', () => {
  it('plots one mark per aligned/naive pair, at its own ratio: never a sum', async () => {
    const T = [1e-3, 1e-3, 1e-3];
    const pts = ['256MiB', '1GiB', '4GiB'].flatMap((table, i) =>
      ['zerocopy-aligned', 'zerocopy-naive'].map((m) =>
        point(`${m} ${table}`, T.map((t) => t * (m === 'zerocopy-naive' ? 1.02 + i / 100 : 1)), { method: m, axes: { width: '100', batch: '65536', dtype: 'fp32', table } }),
      ),
    );
    const chart = alignmentGain(fakeRun(pts))!;
    const marks = (await plotted(chart)).filter((m) => m.mark === 'symbol');
    expect(marks).toHaveLength(3);
    expect(marks.map((m) => Number(m.datum.gain)).sort()).toEqual([1.02, 1.03, 1.04].map((x) => expect.closeTo(x, 9)) as never);
    expect(new Set(marks.map((m) => m.datum.condition))).toEqual(new Set(['table=256MiB', 'table=1GiB', 'table=4GiB']));
  });

  it('on the stored H100 characterization: every plotted ratio is a ratio of two measured points', async () => {
    const { run } = loadRun('docs/runs/h100-characterize');
    const marks = (await plotted(alignmentGain(run)!)).filter((m) => m.mark === 'symbol');
    const gains = marks.map((m) => Number(m.datum.gain));
    expect(gains.length).toBeGreaterThan(10);
    expect(Math.max(...gains)).toBeLessThan(1.5); // the stacked chart showed 10x
    expect(Math.min(...gains)).toBeGreaterThan(0.8);
  });
});

describe('colours', () => {
  /** Every colour scale with an explicit domain in a spec: series -> colour. */
  function scales(spec: unknown): Map<string, string>[] {
    const out: Map<string, string>[] = [];
    const walk = (x: unknown) => {
      if (!x || typeof x !== 'object') return;
      const o = x as Record<string, unknown>;
      const scale = (o.color as { scale?: { domain?: string[]; range?: string[] } } | undefined)?.scale;
      if (scale?.domain && scale.range) out.push(new Map(scale.domain.map((d, i) => [d, scale.range![i]])));
      for (const v of Object.values(o)) walk(v);
    };
    walk(spec);
    return out;
  }

  it('give every series one colour in every chart of a report, and no two series the same one', () => {
    for (const dir of ['docs/runs/h100-characterize', 'docs/runs/h100-contention', 'docs/runs/h100-pytorch-direct']) {
      const { run } = loadRun(dir);
      const seen = new Map<string, string>();
      for (const chart of runCharts(run)) {
        for (const m of scales(chart.spec)) {
          expect(new Set(m.values()).size).toBe(m.size);
          for (const [series, colour] of m) {
            expect(seen.get(series) ?? colour).toBe(colour);
            seen.set(series, colour);
          }
        }
      }
      expect(seen.size).toBeGreaterThanOrEqual(3);
      expect(new Set(seen.values()).size).toBe(seen.size);
    }
  });

  it('give a method the same colour in every run', () => {
    const a = seriesColors(['pinned-memcpy', 'zerocopy-aligned']);
    const b = seriesColors(['host-memcpy', 'pinned-memcpy', 'uvm', 'zerocopy-aligned vector=16', 'zerocopy-aligned']);
    expect(b.get('pinned-memcpy')).toBe(a.get('pinned-memcpy'));
    expect(b.get('zerocopy-aligned')).toBe(a.get('zerocopy-aligned'));
  });
});

describe('bandwidth, ceiling share and speedup charts', () => {
  it('show GPU paths apart from host-only ones, table panels smallest first, shares of the ceiling at the same point', async () => {
    const { run } = loadRun('docs/runs/h100-pytorch-direct');
    const charts = new Map(runCharts(run).map((c) => [c.id, c]));
    const bw = charts.get('bandwidth-by-width')!.spec as { data: { values: { method: string }[] } };
    expect(bw.data.values.some((r) => r.method.startsWith('host-'))).toBe(false);
    const share = charts.get('ceiling-share')!;
    const rows = (share.spec as { data: { values: { method: string; pct: number; bandwidth: number; width: number; batch: number }[] } }).data.values;
    const ceil = run.points.find((p) => p.method === 'pinned-memcpy' && p.axes.width === '1024' && p.axes.batch === '1048576')!;
    const zc = rows.find((r) => r.method === 'zerocopy-aligned' && r.width === 1024 && r.batch === 1048576)!;
    expect(zc.pct).toBeCloseTo((100 * zc.bandwidth) / ceil.bandwidth!.median, 9);
    expect(rows.some((r) => r.method === 'device-resident' || r.method === 'uvm')).toBe(false);
    const { run: ch } = loadRun('docs/runs/h100-characterize');
    const facet = (runCharts(ch).find((c) => c.id === 'bandwidth-by-width')!.spec as { facet: { row: { sort: unknown } } }).facet.row;
    expect(facet.sort).toEqual({ field: 'tableBytes', op: 'min' });
  });

  it('draw the index-distribution legend as visible dashes, one pattern per distribution', () => {
    const { run } = loadRun('docs/runs/h100-characterize');
    for (const id of ['bandwidth-by-width', 'ceiling-share']) {
      const spec = runCharts(run).find((c) => c.id === id)!.spec;
      const legend = (compile(spec as unknown as TopLevelSpec, { logger: vega.logger(vega.None) }).spec.legends ?? []).find((l) => l.strokeDash)!;
      expect(legend.symbolType).toBe('stroke');
      expect((legend.encode!.symbols as { update: { stroke: { value: string } } }).update.stroke.value).not.toBe('transparent');
      const scale = JSON.parse(JSON.stringify(spec)).spec.layer.find((l: { encoding?: { strokeDash?: unknown } }) => l.encoding?.strokeDash).encoding.strokeDash.scale as { domain: string[]; range: number[][] };
      const dashed = scale.range.filter((_, i) => !['uniform', 'contiguous'].includes(scale.domain[i])).map((d) => d.join(','));
      expect(new Set(dashed).size).toBe(dashed.length);
      expect(dashed).not.toContain('1,0');
    }
  });

  it('draw contention lines only for workloads measured at several contention levels', () => {
    const { run } = loadRun('docs/runs/h100-characterize');
    const rows = (runCharts(run).find((c) => c.id === 'contention')!.spec as { data: { values: { line: string; contention: number; width: number }[] } }).data.values;
    const levels = new Map<string, Set<number>>();
    for (const r of rows) levels.set(r.line, (levels.get(r.line) ?? new Set()).add(r.contention));
    expect(rows.length).toBeGreaterThan(0);
    for (const l of levels.values()) expect(l.size).toBeGreaterThan(1);
    expect(new Set(rows.map((r) => r.width))).toEqual(new Set([32, 1024])); // width 128 was never measured under contention
  });

  it('give every measured condition its own heatmap cell (no best-of that hides a loss), the baseline on the same allocation', () => {
    const { run } = loadRun('docs/runs/h100-characterize');
    const rows = (runCharts(run).find((c) => c.id === 'speedup-heatmap')!.spec as { data: { values: { series: string; width: number; condition: string; speedup: number }[] } }).data.values;
    const cells = rows.map((r) => `${r.series}|${r.width}|${r.condition}`);
    expect(new Set(cells).size).toBe(cells.length);
    const lost = rows.find((r) => r.series === 'zerocopy-aligned' && r.width === 32 && r.condition.startsWith('16GiB'))!;
    expect(lost.speedup).toBeLessThan(1); // the best-of-tables cell showed 5.7x here
    const at = (m: string, alloc: string) => run.points.find((p) => p.method === m && p.axes.width === '32' && p.axes.alloc === alloc)!.stats!.median;
    const huge = speedups(run).find((r) => r.series === 'zerocopy-aligned alloc=hugepage' && r.width === 32)!;
    expect(huge.baselineVariant).toBe('alloc=hugepage');
    expect(huge.speedup).toBeCloseTo(at('cpu-gather-memcpy', 'hugepage') / at('zerocopy-aligned', 'hugepage'), 9);
  });

  it('plot bandwidth against row size in bytes, a series per dtype where the run has several, no dash legend for the ceiling alone', () => {
    const at = (m: string, width: number, dtype: string, distribution?: string) =>
      point(`${m} ${width} ${dtype}`, [1e-3, 1e-3, 1e-3], { method: m, axes: { width: String(width), batch: '64', dtype, table: '16GiB', ...(distribution ? { distribution } : {}) }, derived: { elemBytes: 2, rowBytes: width * 2, tableRows: 1, tableBytes: 2 ** 34, usefulBytes: width * 128 } });
    const run = fakeRun([at('zerocopy-aligned', 8192, 'fp16', 'uniform'), at('zerocopy-aligned', 8192, 'bf16', 'uniform'), at('pinned-memcpy', 8192, 'fp16'), at('pinned-memcpy', 8192, 'bf16')], { gpu: 'NVIDIA H100 80GB HBM3' });
    const spec = runCharts(run).find((c) => c.id === 'bandwidth-by-width')!.spec as { data: { values: { series: string }[] }; spec: { layer: { encoding?: { x?: { field: string }; strokeDash?: unknown } }[] } };
    expect(new Set(spec.data.values.map((r) => r.series))).toEqual(new Set(['zerocopy-aligned fp16', 'zerocopy-aligned bf16', 'pinned-memcpy fp16', 'pinned-memcpy bf16']));
    const line = spec.spec.layer[1].encoding!;
    expect(line.x!.field).toBe('rowBytes');
    expect(line.strokeDash).toBeUndefined();
  });

  it('label a cache of 0 as such (cached-zerocopy with nothing cached is not a plain form)', () => {
    const at = (cache: string) => point(`cached-zerocopy ${cache}`, [1e-3, 1e-3, 1e-3], { method: 'cached-zerocopy', axes: { width: '64', batch: '1024', dtype: 'fp32', table: '4GiB', distribution: 'uniform', cache } });
    const spec = runCharts(fakeRun([at('0'), at('0.01')], { gpu: 'H100' })).find((c) => c.id === 'bandwidth-by-width')!.spec as { data: { values: { series: string }[] } };
    expect(new Set(spec.data.values.map((r) => r.series))).toEqual(new Set(['cached-zerocopy cache=0', 'cached-zerocopy cache=0.01']));
  });

  it('sweep table sizes for the plain form of each method, in runs with several dtypes too', () => {
    const at = (m: string, table: string, dtype: string, axes: Record<string, string> = {}) =>
      point(`${m} ${table} ${dtype} ${JSON.stringify(axes)}`, [1e-3, 1e-3, 1e-3], { method: m, axes: { width: '64', batch: '1024', dtype, table, distribution: 'uniform', ...axes }, derived: { elemBytes: 2, rowBytes: 128, tableRows: 1, tableBytes: table === '1GiB' ? 2 ** 30 : 2 ** 33, usefulBytes: 128 * 1024 } });
    const run = fakeRun(['1GiB', '8GiB'].flatMap((t) => [at('zerocopy-aligned', t, 'fp16'), at('zerocopy-aligned', t, 'bf16'), at('zerocopy-aligned', t, 'fp16', { vector: '16' })]), { gpu: 'H100' });
    const rows = (runCharts(run).find((c) => c.id === 'table-size')!.spec as { data: { values: { series: string }[] } }).data.values;
    expect(rows.map((r) => r.series).sort()).toEqual(['zerocopy-aligned bf16', 'zerocopy-aligned bf16', 'zerocopy-aligned fp16', 'zerocopy-aligned fp16']);
  });

  it('compare a multi-GPU point with the baseline at the same GPU count (the same work)', () => {
    const { run } = loadRun('docs/runs/h200x2-multi-gpu');
    const rows = speedups(run);
    const at = (m: string, width: string, gpus: string) => run.points.find((p) => p.method === m && p.axes.width === width && p.axes.gpus === gpus)!.stats!.median;
    const two = rows.find((r) => r.series === 'zerocopy-aligned gpus=2' && r.width === 1024)!;
    expect(two.speedup).toBeCloseTo(at('cpu-gather-memcpy', '1024', '2') / at('zerocopy-aligned', '1024', '2'), 9);
    expect(two.speedup).toBeGreaterThan(2.5); // against the one-GPU baseline (half the work) it read 1.9x
    const one = rows.find((r) => r.series === 'zerocopy-aligned' && r.width === 1024)!;
    expect(one.speedup).toBeCloseTo(at('cpu-gather-memcpy', '1024', '1') / at('zerocopy-aligned', '1024', '1'), 9);
  });

  it('colour speedups on a log scale symmetric about 1, over methods of the baseline backend only', () => {
    for (const dir of ['docs/runs/h200x2-multi-gpu', 'docs/runs/h100-contention', 'docs/runs/h100-pytorch-direct']) {
      const { run } = loadRun(dir);
      const chart = runCharts(run).find((c) => c.id === 'speedup-heatmap')!;
      const spec = chart.spec as { data: { values: { method: string; speedup: number }[] }; spec: { layer: { encoding: { color: { scale?: { domain: number[]; domainMid: number } } } }[] } };
      const [lo, hi] = spec.spec.layer[0].encoding.color.scale!.domain;
      expect(lo * hi).toBeCloseTo(1, 9);
      for (const r of spec.data.values) {
        expect(r.method.startsWith('host-')).toBe(false);
        expect(r.speedup).toBeGreaterThanOrEqual(lo - 1e-12);
        expect(r.speedup).toBeLessThanOrEqual(hi + 1e-12);
      }
    }
  });
});

describe('a failed point is drawn as failed', () => {
  it('cache-share draws a failed cached-zerocopy point as a red cross at the foot of its panel, with why', async () => {
    const { cacheShareChart } = await import('../reports/charts/cache-share.js');
    const { loadRun } = await import('../harness/results/store.js');
    const { run } = loadRun('docs/runs/h100-feature-cache');
    const victim = run.points.find((p) => p.method === 'cached-zerocopy' && p.axes.cache === '0.2' && p.axes.width === '1024' && p.axes.distribution === 'uniform')!;
    const broken = { ...run, points: run.points.map((p) => (p === victim ? { ...p, status: 'failed' as const, reason: 'verification failed: output row 150 (table row 723350) differs from the table' } : p)) };
    const chart = cacheShareChart(broken)!;
    const values = (chart.spec as { data: { values: { failed?: boolean; reason?: string; rowBytes: number; bandwidth: number }[] } }).data.values;
    const cross = values.filter((v) => v.failed);
    expect(cross).toHaveLength(1);
    expect(cross[0].reason).toMatch(/output row 150/);
    expect(cross[0].bandwidth).toBe(Math.min(...values.filter((v) => !v.failed && v.rowBytes === 4096).map((v) => v.bandwidth)));
    expect(chart.caption).toMatch(/Red crosses: 1 point\(s\) that failed/);
  });
});

describe('a share of the copy ceiling above 100%', () => {
  it('is never left unexplained: the caption says where the copy itself was slow', async () => {
    const { ceilingShare } = await import('../reports/charts/bandwidth-by-width.js');
    const { loadRun } = await import('../harness/results/store.js');
    const c = ceilingShare(loadRun('docs/runs/h100-kv-cache').run)!;
    expect(c.caption).toMatch(/\d+ point\(s\) read above 100% \(up to \d+%\): there the copy itself read [\d.]+-[\d.]+ GB\/s against the run's best [\d.]+/);
  });
});
