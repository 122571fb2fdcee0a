/** The peer methods without torch or a GPU: a stand-in worker speaks the protocol; the real worker says why it cannot. */
import { afterEach, describe, expect, it } from 'vitest';
import { findingText } from './fixtures.js';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runCommand } from '../harness/cli/run.js';
import { loadRun } from '../harness/results/store.js';
import { PlainProgress } from '../harness/runner/progress.js';
import { PeerSession, WORKER_SCRIPT } from '../harness/peers/session.js';
import { PeerWorker } from '../harness/peers/worker.js';
import { loadAddon } from '../harness/native/addon.js';
import { packageRoot } from '../harness/paths.js';
import { scenarioFile, tmpDir } from './helpers.js';

const STANDIN = path.join(packageRoot, 'test', 'fixtures', 'stand-in-worker.mjs');
const SCENARIO = `
name: peers
methods: [torch-pageable, torch-pinned, host-memcpy]
axes: { width: [16], batch: [256], table: ["5000 rows"] }
sampling: { warmup: 1, minSamples: 5, maxSamples: 20, budget: 100ms, precision: 0.05 }
telemetry: { window: 0, idle: 0 }
`;
const quiet = () => undefined;
const ENV = ['STANDIN_CRASH_ON', 'STANDIN_HANG_ON', 'STANDIN_BAD_TABLE', 'STANDIN_BAD_ROW'];
afterEach(() => {
  for (const k of ENV) delete process.env[k];
});

async function run(extra: Record<string, unknown> = {}) {
  const out = tmpDir();
  const code = await runCommand(scenarioFile(SCENARIO), { out, log: quiet, progress: new PlainProgress(quiet), python: process.execPath, peerScript: STANDIN, ...extra });
  return { code, run: loadRun(path.join(out, readdirSync(out)[0])).run };
}

describe('peer methods through a worker', () => {
  it('measure like any method: the harness hands the index sets, the worker times and verifies', async () => {
    const { code, run: r } = await run();
    expect(code).toBe(0);
    const peer = r.points.filter((p) => p.method.startsWith('torch-'));
    expect(peer).toHaveLength(2);
    for (const p of peer) {
      expect(p.status).toBe('ok');
      expect(p.details.peer).toMatch(/torch 0\.0-standin/);
      expect(p.verification!.checkedSamples).toBe(p.samples.total.length);
      expect(p.stats!.median).toBeGreaterThan(0.9e-4);
    }
    expect(r.points.find((p) => p.method === 'host-memcpy')!.status).toBe('ok');
    // cold as the native loop: the worker reads twice the CPU's last-level cache before timing verified sets
    const cache = loadAddon().addon!.facts().cpuCacheBytes;
    expect(cache).toBeGreaterThan(0);
    for (const p of peer) expect(p.details.cpuEvictBytes).toBe(String(2 * cache));
    const warm = await run({ flush: false });
    for (const p of warm.run.points.filter((q) => q.method.startsWith('torch-'))) expect(p.details.cpuEvictBytes).toBe('0');
  });

  it('a worker that dies fails its points with its stderr, and the run goes on', async () => {
    process.env.STANDIN_CRASH_ON = 'run';
    const { code, run: r } = await run();
    expect(code).toBe(1);
    expect(r.status).toBe('complete');
    const peer = r.points.filter((p) => p.method.startsWith('torch-'));
    expect(peer.every((p) => p.status === 'failed' && /exited with code 3; its stderr: stand-in: boom on run/.test(p.reason!))).toBe(true);
    expect(r.points.find((p) => p.method === 'host-memcpy')!.status).toBe('ok');
  });

  it('a worker that hangs is stopped and its point fails; the next point gets a fresh worker', async () => {
    process.env.STANDIN_HANG_ON = 'run';
    const { run: r } = await run({ peerTimeoutMs: 500 });
    const peer = r.points.filter((p) => p.method.startsWith('torch-'));
    expect(peer.every((p) => p.status === 'failed' && /did not answer 'run' within/.test(p.reason!))).toBe(true);
  });

  it('a table that is not the addon\'s, or a wrong row, is never timed', async () => {
    process.env.STANDIN_BAD_TABLE = '1';
    const bad = (await run()).run.points.filter((p) => p.method.startsWith('torch-'));
    expect(bad.every((p) => p.status === 'failed' && /table differs from the addon's at word 0/.test(p.reason!))).toBe(true);
    delete process.env.STANDIN_BAD_TABLE;
    process.env.STANDIN_BAD_ROW = '1';
    const row = (await run()).run.points.filter((p) => p.method.startsWith('torch-'));
    expect(row.every((p) => p.status === 'failed' && /output row 3 differs/.test(p.reason!) && p.samples.total.length === 0)).toBe(true);
  });
});

describe('where the peers cannot run', () => {
  it('say why: no such interpreter, or no torch', async () => {
    const none = await PeerSession.open({ python: '/nonexistent/python' });
    expect(none.info.reasons['torch-pageable']).toMatch(/no usable Python at '\/nonexistent\/python'.*could not start/);
    // the real worker, under a Python without torch: its import fails, the worker says so
    const s = await PeerSession.open({ python: 'python3', script: WORKER_SCRIPT });
    await s.close();
    if (!s.info.torch) expect(s.info.reasons['torch-pinned']).toMatch(/torch does not import|no usable Python/);
  });

  it('skip the peer points with the reason and measure the rest', async () => {
    const { code, run: r } = await run({ python: '/nonexistent/python', peerScript: undefined });
    expect(code).toBe(0);
    expect(r.unavailable.map((u) => u.method).sort()).toEqual(['torch-pageable', 'torch-pinned']);
    expect(r.points.map((p) => p.method)).toEqual(['host-memcpy']);
  });
});

/** A Python whose torch imports (a CPU build will do for the table), or undefined: the test below is skipped. */
function torchPython(): string | undefined {
  const candidates = [process.env.GATHERBENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[];
  return candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0);
}
const TORCH_PYTHON = torchPython();

describe.skipIf(!TORCH_PYTHON)('the real worker, where a Python with torch is at hand', () => {
  it("builds the addon's table bit for bit, for rows that are not whole words too", async () => {
    const addon = loadAddon().addon!;
    const w = new PeerWorker(TORCH_PYTHON!, [WORKER_SCRIPT]);
    try {
      expect((await w.request('hello', {}, 120_000)).torch).toBeTruthy();
      // the third and fifth are views of words already built (same seed, no more bytes): nothing is rebuilt
      const shapes = [[5000, 64, 4, 1, true], [777, 6, 2, 12345, true], [700, 6, 2, 12345, false], [3, 4096, 8, 2 ** 40 + 7, true], [2, 4000, 4, 2 ** 40 + 7, false]] as const;
      for (const [rows, rowBytes, elemBytes, seed, built] of shapes) {
        const last = Math.floor((rows * rowBytes) / 8) - 1;
        const probe = [0, 1, 2, 3, Math.floor(last / 3), Math.floor(last / 2), last - 1, last];
        const r = await w.request('table', { rows, rowBytes, elemBytes, seed, probe }, 120_000);
        expect(r.ok).toBe(true);
        expect(r.built).toBe(built);
        for (const word of probe) expect((r.probe as Record<string, string>)[String(word)]).toBe(addon.tableWord({ seed, word }).toString());
      }
      // with no CUDA device, the methods are refused with the reason, and the worker lives on
      const hasCuda = !!(await w.request('hello', {}, 120_000)).cudaAvailable;
      if (!hasCuda) await expect(w.request('prepare', { method: 'torch-pinned', batch: 8 }, 120_000)).rejects.toThrow(/torch sees no CUDA device/);
      expect((await w.request('table', { rows: 10, rowBytes: 8, elemBytes: 4, seed: 1, probe: [0] }, 120_000)).ok).toBe(true);
    } finally {
      await w.close();
    }
  }, 300_000);
});

describe('reports', () => {
  it('draw peers apart and state zero-copy against the best peer per row size', async () => {
    const { peerFinding } = await import('../reports/findings-beyond.js');
    const { runCharts } = await import('../reports/charts/index.js');
    const { fakeRun, point } = await import('./fixtures.js');
    const at = (method: string, us: number) => point(`${method} x`, [us * 1e-6, us * 1e-6, us * 1e-6], { method, device: 'GPU', axes: { width: '1024', dtype: 'fp32', batch: '16384', table: '8GiB', distribution: 'uniform' } });
    const r = fakeRun([at('zerocopy-aligned', 100), at('torch-pinned', 250), at('torch-pageable', 600), at('pinned-memcpy', 90)], { gpu: 'H100' });
    expect(findingText(peerFinding(r)!)).toMatch(/reads 2\.50x the bandwidth of the best peer at the same point \(64 B rows, batch 16384, against torch-pinned\)\. 64 B \| 16384 \| 0\.66 \| torch-pinned \| 0\.26 \| 2\.50x/);
    const bw = runCharts(r).find((c) => c.id === 'bandwidth-by-width')!.spec as { data: { values: { method: string; who: string }[] } };
    expect(bw.data.values.find((x) => x.method === 'torch-pinned')!.who).toBe('peer');
    expect(JSON.stringify(bw)).toContain('triangle-up');
    // the share of the copy ceiling draws them apart too
    expect(JSON.stringify(runCharts(r).find((c) => c.id === 'ceiling-share')!.spec)).toContain('triangle-up');
  });
});

describe('no worker left behind', () => {
  it('a run with nothing measurable ends at once, though it asked a worker', async () => {
    const { spawnSync } = await import('node:child_process');
    const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
    const r = spawnSync(process.execPath, [bin, 'run', scenarioFile('name: x\nmethods: [torch-pinned]\naxes: { width: [4], batch: [8], table: ["100 rows"] }\n'), '-o', tmpDir(), '--python', '/nonexistent/python'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nothing to measure on this machine \(torch-pinned: no usable Python/);
  });
});
