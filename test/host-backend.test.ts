import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAddon, nativeErrorCode } from '../harness/native/addon.js';
import { packageRoot } from '../harness/paths.js';
import { scenarioFile, tmpDir } from './helpers.js';

const { addon, loadError } = loadAddon();
if (!addon) throw new Error(`tests need the native addon: ${loadError}`);

describe('index distributions', () => {
  const draw = (kind: string, extra: Record<string, number> = {}, rows = 1000, count = 20000, seed = 5) =>
    Array.from(addon.generateIndices({ rows, count, seed, distribution: { kind: kind as 'uniform', ...extra } }), Number);

  it('are deterministic per seed and stay in range', () => {
    for (const kind of ['uniform', 'sorted', 'sequential', 'zipf', 'hotset']) {
      const a = draw(kind, { exponent: 1.1, hotFraction: 0.01, hotProbability: 0.9 });
      expect(a).toEqual(draw(kind, { exponent: 1.1, hotFraction: 0.01, hotProbability: 0.9 }));
      expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...a)).toBeLessThan(1000);
    }
    expect(draw('uniform')).not.toEqual(draw('uniform', {}, 1000, 20000, 6));
  });

  it('have the shapes their names promise', () => {
    const sorted = draw('sorted');
    expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
    const seq = draw('sequential', {}, 1000, 1500);
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBe((seq[i - 1] + 1) % 1000);
    // uniform: every row drawn about count/rows = 20 times
    const counts = new Map<number, number>();
    for (const r of draw('uniform')) counts.set(r, (counts.get(r) ?? 0) + 1);
    expect(counts.size).toBeGreaterThan(990);
    // zipf(1.2): the most popular row takes a large share; hotset: 90% of draws in 1% of rows
    const z = new Map<number, number>();
    for (const r of draw('zipf', { exponent: 1.2 })) z.set(r, (z.get(r) ?? 0) + 1);
    expect(Math.max(...z.values()) / 20000).toBeGreaterThan(0.15);
    const h = new Map<number, number>();
    for (const r of draw('hotset', { hotFraction: 0.01, hotProbability: 0.9 })) h.set(r, (h.get(r) ?? 0) + 1);
    const top10 = [...h.values()].sort((a, b) => b - a).slice(0, 10).reduce((a, b) => a + b, 0);
    expect(top10 / 20000).toBeGreaterThan(0.88);
  });

  it('keep the same rows hot in every index set of a point (a cache learns them from its own trace)', () => {
    // which rows are hot is the scenario's (the seed), the draws are the set's: a GPU cache chosen from a
    // warm-up trace then serves the timed sets' hot rows, as a cache over one graph serves every mini-batch
    const hottest = (set: number, distribution: Record<string, unknown>) => {
      const idx = addon.generateIndices({ rows: 100_000, count: 200_000, seed: 9, set, distribution: distribution as never });
      const n = new Map<bigint, number>();
      for (const r of idx) n.set(r, (n.get(r) ?? 0) + 1);
      return new Set([...n].sort((x, y) => y[1] - x[1]).slice(0, 100).map(([r]) => r));
    };
    for (const d of [{ kind: 'zipf', exponent: 1.1 }, { kind: 'hotset', hotFraction: 0.001, hotProbability: 0.9 }]) {
      const a = hottest(0, d), b = hottest(1, d);
      expect([...a].filter((r) => b.has(r)).length).toBeGreaterThan(80);
      expect(addon.generateIndices({ rows: 100_000, count: 1000, seed: 9, set: 0, distribution: d as never })).not.toEqual(addon.generateIndices({ rows: 100_000, count: 1000, seed: 9, set: 1, distribution: d as never }));
    }
  });

  it('plan a GPU cache from a trace long enough to see the hot rows (cached-zerocopy)', () => {
    // uniform: as many distinct rows as asked, slot order, every row in range
    const u = addon.planCache({ rows: 10_000, batch: 100, cachedRows: 100, seed: 3, distribution: { kind: 'uniform' } });
    expect(u.rows).toHaveLength(100);
    expect(new Set(u.rows).size).toBe(100);
    expect(u.trace).toBe(2 ** 20);
    // the H100's miss: a 1% hot set of 2^25 rows of 128 B (4 GiB), 1% cached, batch 65536. A trace of
    // 16 x batch saw three quarters of the hot rows (hit rate 0.77); 16 draws per cached row see them all.
    const rows = 2 ** 25, hot = { kind: 'hotset', hotFraction: 0.01, hotProbability: 0.9 } as const;
    const plan = addon.planCache({ rows, batch: 65_536, cachedRows: Math.round(rows / 100), seed: 1, distribution: hot });
    expect(plan.trace).toBe(16 * Math.round(rows / 100));
    const cached = new Set(plan.rows);
    const timed = addon.generateIndices({ rows, count: 200_000, seed: 1, set: 2, distribution: hot });
    const hits = timed.filter((r) => cached.has(r)).length / timed.length;
    expect(hits).toBeGreaterThan(0.89);
    expect(() => addon.planCache({ rows: 0, batch: 1, cachedRows: 1, seed: 1, distribution: { kind: 'uniform' } })).toThrow(/empty table/);
  });

  it('learns R-MAT hot nodes from a trace of batches (each of unique nodes), not from one batch that holds each node once', () => {
    // One trace-long batch counted every node once, and the cache took nodes in row order: 1% cached hit 4%
    // of a later batch's nodes. Batches of the timed size repeat the high-degree nodes: over half of them.
    const rows = 2 ** 22, d = { kind: 'rmat', fanouts: [10, 5] } as const;
    const plan = addon.planCache({ rows, batch: 8192, cachedRows: rows / 100, seed: 1, distribution: d });
    expect(plan.trace % 8192).toBe(0);
    const cached = new Set(plan.rows);
    const timed = [2, 3, 4].flatMap((set) => [...addon.generateIndices({ rows, count: 8192, seed: 1, set, distribution: d })]);
    expect(timed.filter((r) => cached.has(r)).length / timed.length).toBeGreaterThan(0.4);
  });

  it('rejects bad parameters', () => {
    expect(() => addon.generateIndices({ rows: 10, count: 5, seed: 1, distribution: { kind: 'zipf', exponent: -1 } })).toThrow(/exponent/);
    expect(() => addon.generateIndices({ rows: 10, count: 5, seed: 1, distribution: { kind: 'gaussian' as 'uniform' } })).toThrow(/unknown index distribution/);
  });
});

describe('host backend', () => {
  it('gathers and verifies, duplicates and the last row included', async () => {
    // 3000 rows, 4096 consecutive indices from a random start: wraps, so it
    // covers the first and the last row and repeats 1096 rows. 12-byte rows: the reference checksum is
    // taken term by term (checksum_term), the output's through the factored sum, so passing checksums
    // also hold the two forms equal.
    const table = await addon.createTable({ rows: 3000, rowBytes: 12, alloc: 'malloc', seed: 3 });
    try {
      for (const kind of ['sequential', 'uniform'] as const) {
        const bench = await addon.prepare(table, { method: 'host-gather-copy', batch: 4096, elemBytes: 4, distribution: { kind }, seed: 1, threads: 2 });
        const r = await bench.run({ firstSample: 0, samples: 4, warmup: 1 });
        bench.close();
        // 4 index sets, each verified in full once; every timed output checked by checksum
        expect(r.verification).toMatchObject({ ok: true, mode: 'full', rowsVerified: 4 * 4096 });
        expect(r.checksums).toBe(4);
        expect(r.total).toHaveLength(4);
        for (let i = 0; i < 4; i++) {
          expect(r.total[i]).toBeGreaterThan(0);
          expect(r.gather[i] + r.copy[i]).toBeCloseTo(r.total[i], 6);
        }
      }
    } finally {
      table.release();
    }
  });

  it('reports what it allocated', async () => {
    const t = await addon.createTable({ rows: 100, rowBytes: 64, alloc: 'hugepage', seed: 1 });
    expect(t.info()).toMatchObject({ rows: 100, rowBytes: 64, bytes: 6400 });
    expect(t.info().obtained).toMatch(/^hugepage: (thp|hugetlb) \d+ of \d+ MiB in huge pages/);
    t.release();
    expect(() => t.info()).toThrow(/released/);
  });

  it('refuses bad arguments with a code, not a crash', async () => {
    const t = await addon.createTable({ rows: 10, rowBytes: 8, alloc: 'malloc', seed: 1 });
    const err = async (p: Promise<unknown>) => p.then(() => undefined, (e) => e);
    // argument errors are thrown at the call; runtime ones reject the promise
    expect(() => addon.prepare(t, { method: 'host-gather-copy', batch: 0, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1 })).toThrow(/batch must be at least 1/);
    const e = await err(addon.prepare(t, { method: 'host-memcpy', batch: 11, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1 }));
    expect(nativeErrorCode(e)).toBe('BAD_ARGUMENT');
    expect((e as Error).message).toMatch(/batch 11 > table rows 10/);
    expect(() => addon.createTable({ rows: 10, rowBytes: 8, alloc: 'magic' as 'malloc', seed: 1 })).toThrow(/unknown host allocation/);
    expect(() => addon.createTable({ rows: -1, rowBytes: 8, alloc: 'malloc', seed: 1 })).toThrow(/non-negative/);
    await expect(addon.createTable({ rows: 0, rowBytes: 8, alloc: 'malloc', seed: 1 })).rejects.toThrow(/at least one row/);
    t.release();
  });

  it('says honestly when CUDA is missing', () => {
    const info = addon.buildInfo().cuda ? addon.cudaInfo() : undefined;
    if (info && !info.available) expect(info.reason).toMatch(/CUDA/);
    expect(addon.buildInfo().hardwareThreads).toBeGreaterThan(0);
  });
});

describe('native error paths', () => {
  interface Saved { points: { axes: Record<string, string>; status: string; reason?: string }[]; warnings?: string[] }
  /** A host-gather-copy sweep over these axes, run by the CLI with a test switch: its exit status and saved run. */
  const sweepWith = (axes: string, env: Record<string, string>) => {
    const file = scenarioFile(`name: planted\nmethods: [host-gather-copy]\naxes: { width: [16], table: ["2000 rows"], ${axes} }\nsampling: { minSamples: 3, budget: 50ms }\ntelemetry: { window: 0, idle: 0 }\n`);
    const out = tmpDir();
    const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'gatherbench.js'), 'run', file, '-o', out, '--no-report'], { encoding: 'utf8', timeout: 30000, env: { ...process.env, CI: 'true', ...env } });
    return { status: r.status, run: JSON.parse(readFileSync(path.join(out, readdirSync(out)[0], 'results.json'), 'utf8')) as Saved };
  };

  it('a CPU thread that cannot be created fails its point with a clear error: no hang, no crash, the sweep goes on', () => {
    const { status, run } = sweepWith('batch: [1024], threads: [4, 1]', { GATHERBENCH_TEST_THREAD_FAIL_AT: '2' });
    expect(status).toBe(1); // a point failed; the run completed
    const byThreads = Object.fromEntries(run.points.map((p) => [p.axes.threads, p]));
    expect(byThreads['4']).toMatchObject({ status: 'failed', reason: expect.stringMatching(/could not create CPU thread 2 of 4/) });
    expect(byThreads['1'].status).toBe('ok'); // one thread: no pool thread to make
  }, 40000);

  it('an index-set reservation that runs out of memory fails its point clearly; the bench reserves again on its next run', () => {
    const env = { ...process.env, CI: 'true', GATHERBENCH_TEST_RESERVE_FAIL: '1' };
    // the sweep: the first point's reservation fails, the second point's succeeds
    const { status, run } = sweepWith('batch: [1024, 512], threads: [1]', { GATHERBENCH_TEST_RESERVE_FAIL: '1' });
    expect(status).toBe(1);
    const byBatch = Object.fromEntries(run.points.map((p) => [p.axes.batch, p]));
    expect(byBatch['1024']).toMatchObject({ status: 'failed', reason: expect.stringMatching(/out of memory reserving the point's index sets/) });
    expect(byBatch['512'].status).toBe('ok');
    expect(run.warnings!.some((w) => /GATHERBENCH_TEST_RESERVE_FAIL/.test(w))).toBe(true);
    // one bench: the failed run leaves no sets behind, so the next run reserves, fills and verifies them
    const script = `const a = require(${JSON.stringify(path.join(packageRoot, 'build', 'Release', 'gatherbench.node'))});
      (async () => {
        const t = await a.createTable({ rows: 2000, rowBytes: 64, alloc: 'malloc', seed: 3 });
        const b = await a.prepare(t, { method: 'host-gather-copy', batch: 256, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1, threads: 1 });
        const first = await b.run({ firstSample: 0, samples: 2, warmup: 1 }).then(() => 'ran', (e) => e.message);
        const again = await b.run({ firstSample: 0, samples: 2, warmup: 1 });
        console.log(JSON.stringify({ first, ok: again.verification.ok, n: again.total.length }));
        b.close(); t.release();
      })();`;
    const direct = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000, env });
    expect(JSON.parse(direct.stdout)).toEqual({ first: expect.stringMatching(/out of memory reserving/), ok: true, n: 2 });
  }, 40000);

  it('refuses counts past what their fields hold, instead of wrapping them', async () => {
    const addon = loadAddon().addon!;
    const storage = await addon.createStorage({ bytes: 64 * 1024, alloc: 'malloc', seed: 1 });
    const table = storage.view({ rows: 1000, rowBytes: 64 });
    const failure = async (o: Record<string, unknown>) => {
      try {
        await addon.prepare(table, { method: 'host-gather-copy', batch: 16, ...o } as never);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    };
    expect((await failure({ threads: 1e6 }))?.message).toMatch(/'threads' must be at most 4096/);
    expect((await failure({ block: 2 ** 40 }))?.message).toMatch(/'block' must be at most 1024/);
    table.release();
    await storage.release();
  });
});
