import { describe, expect, it } from 'vitest';
import { expand, caseId } from '../harness/scenario/expand.js';
import { checkFeasible, impossibleReason } from '../harness/scenario/feasibility.js';
import { UserError } from '../harness/errors.js';
import { scenario } from './helpers.js';

describe('sweep expansion', () => {
  it('takes the cartesian product of the axes, per method', () => {
    const s = scenario({ methods: ['host-gather-copy'], axes: { width: [16, 100, 1000], batch: [1, 7], dtype: ['fp32', 'fp16'] } });
    const cases = expand(s);
    expect(cases).toHaveLength(12);
    expect(new Set(cases.map((c) => c.id)).size).toBe(12);
    const c = cases.find((x) => x.values.width === 100 && x.values.batch === 7 && x.values.dtype === 'fp16')!;
    expect(c.derived).toEqual({ elemBytes: 2, rowBytes: 200, tableRows: Math.floor(256 * 2 ** 20 / 200), tableBytes: Math.floor(256 * 2 ** 20 / 200) * 200, usefulBytes: 1400 });
  });

  it("drops axes a method ignores instead of measuring it once per value", () => {
    const s = scenario({ methods: ['host-gather-copy', 'zerocopy-aligned'], axes: { width: [32], mapping: ['warp', 'block'], vector: ['elem', 16] } });
    const cases = expand(s);
    expect(cases.filter((c) => c.method === 'host-gather-copy')).toHaveLength(1);
    expect(cases.filter((c) => c.method === 'zerocopy-aligned')).toHaveLength(4);
    expect(cases.find((c) => c.method === 'host-gather-copy')!.labels.mapping).toBeUndefined();
  });

  it('contiguous references ignore the index distribution', () => {
    const s = scenario({ methods: ['host-memcpy'], axes: { distribution: ['uniform', 'sorted', { kind: 'zipf', exponent: 1.1 }] } });
    expect(expand(s)).toHaveLength(1);
  });

  it('applies exclude rules, by axis value and by method', () => {
    const s = scenario({
      methods: ['host-gather-copy', 'host-memcpy'],
      axes: { width: [16, 1024], batch: [1024, 1048576] },
      exclude: [{ width: 1024, batch: 1048576 }, { method: 'host-memcpy', width: [16] }],
    });
    const ids = expand(s).map((c) => c.id);
    expect(ids).toHaveLength(4); // 2 methods x 2 widths x 2 batches, less 2 + 2
    expect(ids.some((id) => id.includes('width=1024') && id.includes('batch=1048576'))).toBe(false);
    expect(ids.some((id) => id.startsWith('host-memcpy') && id.includes('width=16 '))).toBe(false);
  });

  it('gives stable, readable ids', () => {
    expect(caseId('uvm', { width: '32', batch: '7', uvmAdvise: 'none' })).toBe('uvm width=32 batch=7 uvmAdvise=none');
    const s = scenario({ methods: ['host-gather-copy'], axes: { width: [8], distribution: [{ kind: 'hotset', hotFraction: 0.01, hotProbability: 0.9 }] } });
    expect(expand(s)[0].id).toBe('host-gather-copy width=8 dtype=fp32 batch=4096 table=256MiB distribution=hotset(0.01,0.9) threads=0 alloc=auto contention=0');
  });
});

describe('size checks', () => {
  it('rejects a table larger than available host memory, with the numbers', () => {
    const s = scenario({ methods: ['host-gather-copy'], axes: { table: ['1GiB', '64GiB'] } });
    expect(() => checkFeasible(s, expand(s), 's.yaml', 16 * 2 ** 30)).toThrow(UserError);
    expect(() => checkFeasible(s, expand(s), 's.yaml', 16 * 2 ** 30)).toThrow(
      /^s\.yaml: axes\.table\[1\]: host-gather-copy at width 256, batch 4096 needs 64 GiB of table \+ 8 MiB of buffers, more than the 16 GiB of host memory available$/,
    );
    expect(() => checkFeasible(s, expand(s).slice(0, 1), 's.yaml', 16 * 2 ** 30)).not.toThrow();
  });

  it('rejects a table that holds no row', () => {
    const s = scenario({ methods: ['host-gather-copy'], axes: { width: [1000], table: ['1KiB'] } });
    expect(() => checkFeasible(s, expand(s), 's.yaml', 2 ** 34)).toThrow('s.yaml: axes.table[0]: a table of 1KiB holds no row of 4000 B (width 1000 x fp32)');
  });

  it('counts the output buffers too', () => {
    const s = scenario({ methods: ['host-gather-copy'], axes: { width: [1024], batch: [1048576], table: ['1GiB'] } });
    // 1 GiB table + 2 x 4 GiB of staging and destination
    expect(() => checkFeasible(s, expand(s), 's.yaml', 8 * 2 ** 30)).toThrow(/needs 1 GiB of table \+ 8 GiB of buffers/);
  });

  it('skips a contiguous copy longer than its table', () => {
    const s = scenario({ methods: ['host-memcpy', 'host-gather-copy'], axes: { batch: [2000], table: ['1000 rows'] } });
    const [memcpy, gather] = [expand(s).find((c) => c.method === 'host-memcpy')!, expand(s).find((c) => c.method === 'host-gather-copy')!];
    expect(impossibleReason(memcpy)).toBe('a contiguous copy of 2000 rows does not fit in a table of 1000 rows');
    expect(impossibleReason(gather)).toBeUndefined();
  });
});
