import { describe, expect, it } from 'vitest';
import { loadAddon } from '../harness/native/addon.js';
import { availability, methodSpec } from '../harness/methods.js';
import { runSelftest, describeCase } from '../harness/selftest/run.js';
import { expectedUnsupported, offsetsCovered, selftestCases, WIDTHS } from '../harness/selftest/matrix.js';
import { VERIFY_SAMPLES, verifyOnly } from '../harness/scenario/verify-only.js';
import { packageRoot } from '../harness/paths.js';
import { scenario, scenarioFile, tmpDir } from './helpers.js';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

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

describe('the cache built at scale', () => {
  it('gives cached-zerocopy four cases of a 1 GiB table of 4 KB rows at batch 65536, cached shares 0.1 to 0.5 (the fill that read row ids before they arrived, #34)', () => {
    const big = selftestCases(['cached-zerocopy']).filter((c) => c.tableRows !== undefined);
    expect(big.map((c) => [c.width, c.batch, c.tableRows, c.cache])).toEqual([0.1, 0.2, 0.3, 0.5].map((share) => [1024, 65536, 262144, share]));
    expect(describeCase(big[1])).toBe('cached-zerocopy fp32 width=1024 batch=65536 uniform cache=0.2 table=262144 rows');
    expect(selftestCases(['zerocopy-aligned']).some((c) => c.tableRows !== undefined)).toBe(false);
  });
});

describe('selftest --scenario', () => {
  const node = process.execPath;
  const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
  const cwd = tmpDir();
  const selftest = (...args: string[]) => spawnSync(node, [bin, 'selftest', ...args], { encoding: 'utf8', cwd, env: { ...process.env, CI: 'true' } });

  it('checks every point of a scenario in a fraction of its run, writing nothing where it ran', () => {
    const file = scenarioFile('name: st\nmethods: [host-gather-copy, host-memcpy]\naxes: { width: [16, 100], batch: [1024, 4096], table: ["8MiB"] }\nsampling: { warmup: 5, minSamples: 50, budget: 2s }\ntelemetry: { window: 300ms, idle: 1s }\n');
    const r = selftest('--scenario', file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/selftest of scenario 'st' .* every point's sets checked before 3 checksummed samples/);
    expect(r.stdout.trim().split('\n').pop()).toBe('8 passed, 0 failed');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('cuts the sampling to verification and the telemetry off, keeping the points', () => {
    const s = verifyOnly(scenario({ methods: ['host-memcpy'], axes: { width: [8] }, sampling: { warmup: 3, minSamples: 30, maxSamples: 40, budget: '5s' } }));
    expect(s.sampling).toMatchObject({ warmup: 0, minSamples: VERIFY_SAMPLES, maxSamples: VERIFY_SAMPLES, budget: 0, minTime: 0 });
    expect(s.telemetry).toMatchObject({ window: 0, idle: 0, energy: false });
    expect(s.axes.width).toEqual([8]);
  });

  it('fails a point that fails verification, naming it: exit 1', () => {
    const file = scenarioFile('name: st\nmethods: [host-gather-copy]\naxes: { width: [16], batch: [1024], table: ["8MiB"] }\n');
    const r = spawnSync(node, [bin, 'selftest', '--scenario', file], { encoding: 'utf8', cwd: tmpDir(), env: { ...process.env, CI: 'true', GATHERBENCH_TEST_CORRUPT: 'first' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL host-gather-copy width=16 .*differs/m);
    expect(r.stdout.trim().split('\n').pop()).toBe('0 passed, 1 failed');
  });

  it('refuses an unknown scenario and --methods beside it: exit 2, one line', () => {
    const unknown = selftest('--scenario', 'nosuch');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^gatherbench: .*nosuch.*no such scenario file$/);
    const both = selftest('--scenario', 'default', '--methods', 'host-memcpy');
    expect(both.status).toBe(2);
    expect(both.stderr.trim()).toBe("gatherbench: selftest: --scenario runs the scenario's own methods; --methods cannot be given with it");
  });
});
