import { describe, expect, it } from 'vitest';
import { loadAddon } from '../harness/native/addon.js';
import { availability, methodSpec } from '../harness/methods.js';
import { runSelftest, describeCase } from '../harness/selftest/run.js';
import { expectedUnsupported, offsetsCovered, selftestCases, WIDTHS } from '../harness/selftest/matrix.js';

const { addon } = loadAddon();
// the addon's CUDA methods (peers run through a Python worker, not this matrix)
const cuda = availability(addon).filter((a) => methodSpec(a.method)?.backend === 'cuda');
const gpuReason = cuda.every((a) => a.available) ? undefined : cuda[0].reason;

describe('correctness matrix', () => {
  it('covers every row start offset modulo 128 bytes for every width and element size', () => {
    for (const w of WIDTHS) for (const e of [2, 4, 8]) {
      const { seen, possible } = offsetsCovered(w * e);
      expect(seen).toBe(possible);
    }
  });

  it('knows which kernel variants cannot run', () => {
    const c = { method: 'zerocopy-naive', width: 3, dtype: 'fp32', batch: 7, distribution: 'uniform', mapping: 'warp', uvmAdvise: 'none' } as const;
    expect(expectedUnsupported({ ...c, vector: 16 })).toBe('row not a multiple of the vector');
    expect(expectedUnsupported({ ...c, vector: 'elem' })).toBeUndefined();
    expect(expectedUnsupported({ ...c, method: 'zerocopy-aligned', vector: 16 })).toBeUndefined();
    expect(expectedUnsupported({ ...c, dtype: 'fp64', method: 'zerocopy-aligned', vector: 4 })).toBe('vector narrower than an element');
    expect(selftestCases(['zerocopy-aligned']).length).toBe(4 * 9 * 3 * 2 * 4 * 3);
    expect(expectedUnsupported({ ...c, method: 'zerocopy-aligned', vector: 'elem', mapping: 'subwarp' })).toBe('subwarp is for gathers from GPU memory');
    expect(expectedUnsupported({ ...c, method: 'device-resident', vector: 'elem', mapping: 'subwarp' })).toBeUndefined();
    expect(expectedUnsupported({ ...c, method: 'device-resident', vector: 8, mapping: 'subwarp' })).toBe('row not a multiple of the vector');
  });

  it('gives each method that reads its own copy of the table one case of that copy dropped under a live bench', () => {
    const dropped = selftestCases(addon!.facts().methods.map((m) => m.name)).filter((c) => c.lifecycle === 'copy-dropped');
    expect(dropped.map((c) => c.method)).toEqual(['device-resident', 'uvm', 'step-device-resident']);
    expect(describeCase(dropped[0])).toMatch(/table copy dropped under the live bench/);
    // the registry's sources: a step reads the table as its gather does
    const source = Object.fromEntries(addon!.facts().methods.map((m) => [m.name, m.source]));
    expect([source['host-gather-copy'], source['cpu-gather-memcpy'], source['zerocopy-aligned'], source['uvm'], source['step-zerocopy-aligned']]).toEqual(['host', 'host', 'pcie', 'managed-copy', 'pcie']);
  });

  it('host methods pass it', async () => {
    const outcomes = await runSelftest(addon!, { methods: ['host-gather-copy', 'host-memcpy'] });
    const failed = outcomes.filter((o) => o.status !== 'pass');
    expect(failed.map((f) => `${describeCase(f.case)}: ${f.detail}`)).toEqual([]);
    expect(outcomes.length).toBe(324);
  });

  // Runs where a GPU is; elsewhere vitest lists it as skipped, with the reason in its name.
  it.skipIf(gpuReason !== undefined)(`CUDA methods pass it${gpuReason ? ` (skipped: ${gpuReason})` : ''}`, async () => {
    const outcomes = await runSelftest(addon!, { methods: cuda.map((a) => a.method), alloc: 'hostalloc' });
    const failed = outcomes.filter((o) => o.status === 'fail');
    expect(failed.map((f) => `${describeCase(f.case)}: ${f.detail}`)).toEqual([]);
  }, 600_000);
});
