import { describe, expect, it } from 'vitest';
import { distinctPages, meanRowAccess, rowAccess } from '../harness/model/access.js';
import { nnls } from '../harness/model/nnls.js';
import { modelRun, predictCounts, workloadOf } from '../harness/model/model.js';
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
});
