/** Copy-engine gathers, the GPU hot-row cache and the KV-cache and feature-cache scenarios, checked without a GPU. */
import { describe, expect, it } from 'vitest';
import { findingText } from './fixtures.js';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadAddon, type CudaInfo } from '../harness/native/addon.js';
import { availability } from '../harness/methods.js';
import { expand } from '../harness/scenario/expand.js';
import { predictCounts } from '../harness/model/model.js';
import { copyEngineFinding, cacheFinding, sortedFinding } from '../reports/findings-beyond.js';
import { cacheShareChart } from '../reports/charts/cache-share.js';
import { packageRoot } from '../harness/paths.js';
import { scenario, scenarioFile } from './helpers.js';
import { fakeRun, point } from './fixtures.js';

const { addon } = loadAddon();
const NEW = ['copy-engine-rows', 'copy-engine-batch', 'cached-zerocopy'];
const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('availability', () => {
  it('says why each new method cannot run here, and that the batch call needs CUDA 12.8', () => {
    const here = availability(addon!);
    for (const m of NEW) expect(here.find((a) => a.method === m)!.available === false || addon!.cudaInfo().available).toBe(true);
    const cuda = (runtime: number, driver: number): CudaInfo => ({ built: true, available: true, runtimeVersion: runtime, driverVersion: driver, devices: [] });
    const old = availability(addon!, undefined, cuda(12040, 12080));
    expect(old.find((a) => a.method === 'copy-engine-batch')).toMatchObject({ available: false, reason: 'needs CUDA 12.8 (runtime 12.4, driver 12.8)' });
    expect(old.find((a) => a.method === 'copy-engine-rows')!.available).toBe(true);
    expect(availability(addon!, undefined, cuda(13000, 13000)).find((a) => a.method === 'copy-engine-batch')!.available).toBe(true);
  });
});

describe('the cache axis', () => {
  it('takes a share of the table or a size, belongs to cached-zerocopy alone, and refuses anything else in one line', () => {
    const s = scenario({ methods: ['cached-zerocopy', 'zerocopy-aligned'], axes: { cache: [0, 0.05, '2GiB'], table: ['4GiB'] } });
    const cases = expand(s);
    expect(cases.filter((c) => c.method === 'cached-zerocopy').map((c) => c.labels.cache)).toEqual(['0', '0.05', '2GiB']);
    expect(cases.filter((c) => c.method === 'zerocopy-aligned')).toHaveLength(1);
    const bad = cli('run', scenarioFile('name: x\nmethods: [cached-zerocopy]\naxes:\n  cache: [1.5]\n'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/axes\.cache\[0\]: expected a share of the table from 0 to 1, or a size like "2GiB", got 1\.5\n$/);
  });

  it('uvmReset takes point or sample, and the addon refuses anything else', async () => {
    const s = scenario({ methods: ['uvm'], axes: { uvmReset: ['point', 'sample'] } });
    expect(expand(s).map((c) => c.labels.uvmReset)).toEqual(['point', 'sample']);
    const t = await addon!.createTable({ rows: 100, rowBytes: 64, alloc: 'malloc', seed: 1 });
    expect(() => addon!.prepare(t, { method: 'uvm', batch: 8, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1, uvmReset: 'never' as 'point' })).toThrow(/uvmReset must be 'point' or 'sample'/);
    t.release();
  });

  it('the addon refuses a share outside 0..1 before anything is allocated', async () => {
    const t = await addon!.createTable({ rows: 100, rowBytes: 64, alloc: 'malloc', seed: 1 });
    expect(() => addon!.prepare(t, { method: 'cached-zerocopy', batch: 8, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1, cacheShare: 2 })).toThrow(/cacheShare/);
    t.release();
  });
});

describe('the model and the scenarios, with no GPU', () => {
  it('counts copies for the copy engines and only the misses on the link for the cache', () => {
    const w = { rowBytes: 128, elemBytes: 4, batch: 1000, tableBytes: 2 ** 30, vectorBytes: 4, hugePages: false, contiguous: false };
    expect(predictCounts({ ...w, method: 'copy-engine-batch' })).toMatchObject({ requests: 1000, bytesOnWire: 128000 });
    const plain = predictCounts({ ...w, method: 'zerocopy-aligned' });
    const cached = predictCounts({ ...w, method: 'cached-zerocopy', hitRate: 0.25 });
    expect(cached.requests).toBeCloseTo(plain.requests! * 0.75, 6);
    expect(cached.cachedBytes).toBeCloseTo(0.25 * 128000, 6);
  });

  it('gatherbench model prints both scenarios', () => {
    for (const s of ['kv-cache', 'feature-cache']) {
      const r = cli('model', s);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(s === 'kv-cache' ? / 512 .*copy-engine-batch width=1048576 / : /cached-zerocopy .*cache=0\.2/);
    }
  });
});

describe('findings and charts from made-up runs', () => {
  const at = (method: string, width: number, batch: number, us: number, { axes = {}, ...extra }: Partial<Parameters<typeof point>[2]> = {}) =>
    point(`${method} ${width} ${batch} ${JSON.stringify(axes)}`, [us * 1e-6, us * 1e-6, us * 1e-6], {
      method, axes: { width: String(width), dtype: 'fp16', batch: String(batch), table: '16GiB', distribution: 'uniform', ...axes },
      derived: { elemBytes: 2, rowBytes: width * 2, tableRows: 2 ** 34 / (width * 2), tableBytes: 2 ** 34, usefulBytes: width * 2 * batch },
      ...extra,
    });

  it('name the row size where the copy engines overtake zero-copy, and what one batch call buys', () => {
    const run = fakeRun([
      at('zerocopy-aligned', 8192, 64, 25), at('copy-engine-rows', 8192, 64, 40), at('copy-engine-batch', 8192, 64, 30),
      at('zerocopy-aligned', 131072, 64, 340), at('copy-engine-rows', 131072, 64, 330), at('copy-engine-batch', 131072, 64, 320),
    ]);
    const f = copyEngineFinding(run)!;
    expect(f.headline).toMatch(/^The copy engines overtake zero-copy from 256 KiB rows \(batch 64, 1\.06x\)\. One cudaMemcpyBatchAsync beats a cudaMemcpyAsync per row at 1 of 2 points, by up to 1\.33x/);
    expect(findingText(f)).toMatch(/64 \(fp16\) \| from 256 KiB rows \| copy-engine-batch [\d.]+ vs [\d.]+ GB\/s \(1\.06x\)/);
  });

  it('state what sorting the batch first buys per row size, with the loads each used', () => {
    const run = fakeRun([
      at('zerocopy-aligned', 32, 16384, 400, { details: { loads: 'aligned 2 B' } }), at('zerocopy-sorted', 32, 16384, 250, { details: { loads: 'aligned 16 B' } }),
      at('zerocopy-aligned', 32, 16384, 390, { axes: { vector: '16' }, details: { loads: 'aligned 16 B' } }), // a variant: the plain point is the one compared
      at('zerocopy-aligned', 2048, 16384, 1500), at('zerocopy-sorted', 2048, 16384, 1530),
    ]);
    const f = sortedFinding(run)!;
    expect(f.headline).toMatch(/gives 0\.98-1\.60x the aligned gather in batch order: 1\.60x at 64 B rows, batch 16384, 16GiB, 0\.98x at 4 KiB rows/);
    expect(findingText(f)).toMatch(/64 B \| 16384 \| 16GiB \| [\d.]+ \| [\d.]+ \| 1\.60x \| 16 B vs 2 B/);
    expect(f.detail!.rows[1].slice(5)).toEqual(['0.98x', '']); // no loads reported: none said
    expect(sortedFinding(fakeRun([at('zerocopy-aligned', 32, 16384, 400)]))).toBeUndefined();
  });

  it('state what GPU memory buys per distribution, and check uniform hit rates against the cached share', () => {
    const c = (share: number, us: number, dist: string, hit: number) =>
      at('cached-zerocopy', 32, 65536, us, { axes: { cache: String(share), distribution: dist }, details: { 'cache hit rate': String(hit), 'cache rows': String(share * 2 ** 28) } as Record<string, string> });
    const run = fakeRun([
      at('zerocopy-aligned', 32, 65536, 1000, { axes: { distribution: 'zipf(1.1)' } }),
      c(0, 1000, 'zipf(1.1)', 0), c(0.01, 600, 'zipf(1.1)', 0.4), c(0.05, 450, 'zipf(1.1)', 0.6), c(0.2, 440, 'zipf(1.1)', 0.8),
      at('zerocopy-aligned', 32, 65536, 1000), c(0.05, 960, 'uniform', 0.0502), c(0.2, 820, 'uniform', 0.2003),
      at('zerocopy-aligned', 32, 65536, 1000, { axes: { distribution: 'sorted' } }), c(0, 1000, 'sorted', 0), c(0.01, 990, 'sorted', 0.3),
    ]);
    for (const p of run.points) p.derived = { ...p.derived, tableRows: 2 ** 28, rowBytes: 64, tableBytes: 2 ** 34, usefulBytes: 64 * 65536 };
    const f = cacheFinding(run)!;
    expect(f.headline).toMatch(/^Caching 20% of the table gives 2\.27x plain zero-copy at zipf\(1\.1\), 64 B rows \(hit rate 80%\), the largest gain measured\. Uniform indices hit the cached share within 0\.03 percentage points\.$/);
    expect(findingText(f)).toMatch(/zipf\(1\.1\), 64 B rows \| twice plain zero-copy's 0\.07 GB\/s with 5% cached \(0\.8 GiB, hit rate 60%\) \| stops paying past 5% \(20% adds under 5%\)/);
    expect(findingText(f)).toMatch(/uniform, 64 B rows \| never twice plain zero-copy \(best 1\.22x\)/);
    expect(findingText(f)).toMatch(/sorted, 64 B rows \| never twice plain zero-copy \(best 1\.01x\) \| the smallest cache \(1%\) adds under 5%/);
    const chart = cacheShareChart(run)!;
    const rows = (chart.spec as { data: { values: { share: number; distribution: string }[] } }).data.values;
    expect(rows.filter((r) => r.distribution === 'zipf(1.1)').map((r) => r.share)).toEqual([0, 1, 5, 20]);
  });
});

describe('a finding names every setting its two paths differ in', () => {
  it('sorting the batch first says the sorted gather used wider loads', async () => {
    const { sortedFinding } = await import('../reports/findings-beyond.js');
    const { loadRun } = await import('../harness/results/store.js');
    expect(sortedFinding(loadRun('docs/runs/h100-peers').run)!.headline).toMatch(/they differ in their loads too \(16 B sorted, 4 B in batch order\)\.$/);
  });
});
