import { describe, expect, it } from 'vitest';
import { distinctPages, meanRowAccess, rowAccess } from '../harness/model/access.js';
import { nnls } from '../harness/model/nnls.js';
import { fitOverlapping, modelRun, predict, predictCounts, workloadOf } from '../harness/model/model.js';
import { indexReuse } from '../harness/model/index-reuse.js';
import { fakeRun, point } from './fixtures.js';

describe('access counts', () => {
  it('count requests and sectors of one row by hand', () => {
    expect(rowAccess(128, 0, 4, false)).toEqual({ requests: 1, sectors: 4 });
    expect(rowAccess(128, 0, 4, true)).toEqual({ requests: 1, sectors: 4 });
    // starting 16 bytes into a segment, the row spans two segments and five sectors either way
    expect(rowAccess(128, 16, 4, false)).toEqual({ requests: 2, sectors: 5 });
    expect(rowAccess(128, 16, 4, true)).toEqual({ requests: 2, sectors: 5 });
    // 4000 B at offset 32: naive warps straddle every boundary, aligned ones do not
    expect(rowAccess(4000, 32, 4, false).requests).toBe(63);
    expect(rowAccess(4000, 32, 4, true).requests).toBe(32);
  });

  it('average over the offsets rows of a width can have', () => {
    expect(meanRowAccess(512, 4, false)).toEqual({ requests: 4, sectors: 16 });
    const n = meanRowAccess(400, 4, false), a = meanRowAccess(400, 4, true);
    expect(a.requests).toBeLessThan(n.requests);
    // a sector two naive instructions share is fetched by each: misalignment costs bytes too
    expect(a.sectors).toBeLessThan(n.sectors);
  });

  it('estimate distinct pages', () => {
    expect(distinctPages(1, 1000, 1)).toBeCloseTo(1, 2);
    expect(distinctPages(1e6, 1000, 1)).toBeCloseTo(1000, 6);
    const c = predictCounts({ method: 'zerocopy-aligned', rowBytes: 128, elemBytes: 4, batch: 1000, tableBytes: 2 ** 30, vectorBytes: 4, hugePages: false, contiguous: false });
    expect(c.requests).toBe(1000);
    expect(c.bytesOnWire).toBe(128000);
    expect(c.pagesTouched).toBeGreaterThan(990);
  });
});

describe('what a point ran', () => {
  it('takes the load width the kernel used from the run (zerocopy-sorted picks its own), else from the axes', () => {
    const p = point('zerocopy-sorted a', [1e-3], { method: 'zerocopy-sorted', axes: { width: '256', batch: '64', dtype: 'fp32', vector: 'elem' }, details: { loads: 'aligned 16 B' } });
    expect(workloadOf(p).vectorBytes).toBe(16);
    expect(workloadOf({ ...p, details: {} }).vectorBytes).toBe(4);
    expect(workloadOf({ ...p, axes: { ...p.axes, vector: '8' }, details: {} }).vectorBytes).toBe(8);
  });
});

describe('fitting', () => {
  it('non-negative least squares recovers exact coefficients and respects the bound', () => {
    const x = [[1, 1], [1, 2], [1, 3], [1, 4]];
    const r = nnls(x, x.map(([a, b]) => 2 * a + 3 * b));
    expect(r.beta[0]).toBeCloseTo(2, 9);
    expect(r.beta[1]).toBeCloseTo(3, 9);
    expect(nnls(x, x.map(([, b]) => 5 - b)).beta.every((v) => v >= 0)).toBe(true);
  });

  it('recovers machine constants from synthetic zero-copy and copy points', () => {
    // 50 GB/s on the wire, 2 ns per request, 5 µs fixed; the copy at 55 GB/s
    const pts = [];
    for (const width of [16, 100, 256, 1000, 1024]) for (const batch of [1024, 16384, 131072]) {
      const rowBytes = width * 4;
      const c = predictCounts({ method: 'zerocopy-naive', rowBytes, elemBytes: 4, batch, tableBytes: 2 ** 28, vectorBytes: 4, hugePages: false, contiguous: false });
      const t = 5e-6 + c.bytesOnWire! / 50e9 + c.requests! * 2e-9;
      pts.push(point(`zerocopy-naive w${width} b${batch}`, [t, t, t], { axes: { width: String(width), batch: String(batch) }, derived: { elemBytes: 4, rowBytes, tableRows: 2 ** 28 / rowBytes, tableBytes: 2 ** 28, usefulBytes: rowBytes * batch } }));
      const tc = 7e-6 + (rowBytes * batch) / 55e9;
      pts.push(point(`pinned-memcpy w${width} b${batch}`, [tc, tc, tc], { axes: { width: String(width), batch: String(batch) }, derived: { elemBytes: 4, rowBytes, tableRows: 2 ** 28 / rowBytes, tableBytes: 2 ** 28, usefulBytes: rowBytes * batch } }));
    }
    const m = modelRun(fakeRun(pts));
    const zc = m.fits.find((f) => f.family === 'zero-copy')!;
    expect(zc.constants['link bandwidth seen by zero-copy (GB/s)']).toBeCloseTo(50, 3);
    expect(zc.constants['per-request cost (ns)']).toBeCloseTo(2, 3);
    expect(zc.constants['translation reach (GiB)']).toBeUndefined(); // one table size: not identifiable
    expect(zc.medianAbsError).toBeLessThan(1e-6);
    expect(m.fits.find((f) => f.family === 'copy')!.constants['link bandwidth (GB/s)']).toBeCloseTo(55, 3);
    expect(m.points.every((p) => !p.flagged)).toBe(true);
  });

  it('fits costs that overlap (the link or translation, whichever binds) where a sum cannot', () => {
    // t = 10 µs + max(bytes / 45 GB/s, pages x 28 ns): the H100's feature-cache run in miniature
    const x: number[][] = [], t: number[] = [];
    for (const bytes of [1e6, 8e6, 6e7, 2.6e8]) for (const pages of [6e3, 2e4, 6e4]) {
      x.push([1, bytes, pages]);
      t.push(10e-6 + Math.max(bytes / 45e9, pages * 28e-9));
    }
    const rel = x.map((r, i) => r.map((v) => v / t[i]));
    const fit = fitOverlapping(rel, [[1], [2]]);
    expect(1 / fit.beta[1] / 1e9).toBeCloseTo(45, 3);
    expect(fit.beta[2] * 1e9).toBeCloseTo(28, 3);
    expect(Math.max(...x.map((r, i) => Math.abs(predict(r, fit.beta, [[1], [2]]) / t[i] - 1)))).toBeLessThan(1e-6);
    // a sum of the two misses some points by a fifth or more
    const sum = nnls(rel, rel.map(() => 1));
    expect(Math.max(...x.map((r, i) => Math.abs(predict(r, sum.beta) / t[i] - 1)))).toBeGreaterThan(0.2);
  });
});

describe('what a batch repeats', () => {
  it('draws the point\'s index set again: skewed sets name fewer rows, and a row named c times is fetched by S(1 - (1 - 1/S)^c) SMs', () => {
    const rows = 2 ** 20, batch = 65_536;
    const run = fakeRun([]);
    run.scenario.axes = { distribution: ['uniform', { kind: 'zipf', exponent: 1.3 }, { kind: 'hotset', hotFraction: 0.01, hotProbability: 0.9 }] };
    run.environment.cuda = { ...run.environment.cuda!, devices: [{ ...(run.environment.cuda?.devices?.[0] ?? {}), sms: 132 } as never] };
    const at = (distribution: string) =>
      indexReuse(run, point(`zerocopy-aligned ${distribution}`, [1e-3], { axes: { width: '256', batch: String(batch), distribution }, derived: { elemBytes: 4, rowBytes: 1024, tableRows: rows, tableBytes: rows * 1024, usefulBytes: batch * 1024 } }), 4096)!;
    const uniform = at('uniform'), zipf = at('zipf(1.3)'), hot = at('hotset(0.01,0.9)');
    expect(uniform.distinctRows).toBeGreaterThan(0.96 * batch);
    expect(zipf.distinctRows).toBeLessThan(0.2 * batch);
    // the hot set's rows are named about six times each: nearly every naming is a fetch by another SM
    expect(hot.distinctRows).toBeLessThan(0.3 * batch);
    expect(hot.smFetches).toBeGreaterThan(0.95 * batch);
    // Zipf's hottest rows are named thousands of times: each SM fetches them once
    expect(zipf.smFetches).toBeLessThan(0.5 * batch);
    expect(zipf.smFetches).toBeGreaterThan(zipf.distinctRows);
    // 4 rows of 1 KB a page, 2^18 pages: as many distinct pages as random draws of that many pages give
    expect(Math.abs(uniform.distinctPages / distinctPages(uniform.distinctRows, 2 ** 18, 1) - 1)).toBeLessThan(0.05);
    expect(indexReuse(run, point('zerocopy-aligned x', [1e-3], { axes: { distribution: 'rmat(3)' } }), 4096)).toBeUndefined();
  });
});

describe('cache plans the model draws again', () => {
  it("reads a cached point's set-0 misses where the run recorded them, the same counts as planning again", async () => {
    const { loadAddon } = await import('../harness/native/addon.js');
    const addon = loadAddon().addon!;
    const rows = 2 ** 20, batch = 16_384, cachedRows = 20_000, distribution = { kind: 'zipf', exponent: 1.1 } as const;
    const run = fakeRun([]);
    run.scenario.axes = { distribution: [distribution] };
    const indices = addon.generateIndices({ rows, count: batch, seed: run.scenario.seed, distribution, set: 0 });
    const recorded = addon.planCache({ rows, batch, cachedRows, seed: run.scenario.seed, distribution, indices }).missRepeats!;
    expect(recorded).toMatch(/^\d+:\d+( \d+:\d+)*$/);
    const at = (details: Record<string, string>) =>
      indexReuse(run, point(`cached-zerocopy ${JSON.stringify(details)}`, [1e-3], { method: 'cached-zerocopy', details, axes: { width: '256', batch: String(batch), distribution: 'zipf(1.1)' }, derived: { elemBytes: 4, rowBytes: 1024, tableRows: rows, tableBytes: rows * 1024, usefulBytes: batch * 1024 } }), 4096)!;
    const planned = at({ 'cache rows': String(cachedRows) });
    const read = at({ 'cache rows': String(cachedRows), 'set-0 miss repeats': recorded });
    expect(read.distinctMisses).toBe(planned.distinctMisses);
    expect(read.smFetches).toBeCloseTo(planned.smFetches, 6);
    expect(read.distinctMisses).toBeLessThan(read.distinctRows);
  });

  it('trace as the addon says, and a smaller plan of the same trace is a prefix of the larger', async () => {
    const { loadAddon } = await import('../harness/native/addon.js');
    const addon = loadAddon().addon!;
    const rows = 1 << 21, batch = 4096;
    for (const distribution of [{ kind: 'zipf', exponent: 1.1 }, { kind: 'uniform' }, { kind: 'rmat', fanouts: [5, 2] }] as const) {
      const plan = (want: number) => addon.planCache({ rows, batch, cachedRows: want, seed: 3, distribution: distribution as never });
      const cacheTraceLength = (_kind: string, want: number, b: number) => addon.cacheTraceLength({ batch: b, cachedRows: want, distribution: distribution as never });
      for (const want of [1000, 70_000, 200_000]) expect(plan(want).trace).toBe(cacheTraceLength(distribution.kind, want, batch));
      // 1000 and 60,000 rows draw the same 2^20-long trace: the smaller plan is the larger one's head
      const big = plan(60_000).rows, small = plan(1000).rows;
      expect(cacheTraceLength(distribution.kind, 1000, batch)).toBe(cacheTraceLength(distribution.kind, 60_000, batch));
      expect([...small]).toEqual([...big.subarray(0, 1000)]);
    }
  }, 60000);
});

describe('the model held to physics', () => {
  it('shows a link faster than the measured copy, or an on-chip cache slower than the link, as unfit', async () => {
    const { unfitConstants } = await import('../harness/model/physics.js');
    const c = { 'fixed cost (µs)': 5, 'link bandwidth seen by zero-copy (GB/s)': 88.2, 'bandwidth of rows read again, from on-chip caches (GB/s)': 0.984 };
    const u = unfitConstants(c, 55);
    expect(u['link bandwidth seen by zero-copy (GB/s)']).toBe('faster than the 55.0 GB/s copy this run measured over the same link');
    expect(u['bandwidth of rows read again, from on-chip caches (GB/s)']).toMatch(/an on-chip cache slower than the 88\.2 GB\/s link/);
    expect(unfitConstants({ ...c, 'link bandwidth seen by zero-copy (GB/s)': 50, 'bandwidth of rows read again, from on-chip caches (GB/s)': 900 }, 55)).toEqual({});
    expect(unfitConstants({ 'link bandwidth (GB/s)': 88 }, undefined)).toEqual({}); // no copy measured: nothing to hold it to
  });
});
