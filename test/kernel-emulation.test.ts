/**
 * The GPU gather kernel (kernels/gather_kernel.cuh) compiled as host code and
 * run thread by thread: its index arithmetic, the aligned mapping's head and
 * tail, the cache lookup and the scatter, checked against the table in CI,
 * where no GPU is. Threads of the kernel share nothing, so running them one
 * after another computes what the GPU computes.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../harness/native/addon.js';

const { addon } = loadAddon();
if (!addon) throw new Error('tests need the native addon');

const ROWS = 600;
const WIDTHS = [1, 3, 31, 32, 33, 100, 128, 1000];
const ELEMS = [2, 4, 8];
type Kind = 'naive' | 'aligned' | 'cached' | 'scatter';
const KINDS: Kind[] = ['naive', 'aligned', 'cached', 'scatter'];

/** Vector widths the native layer accepts for this row (the others are refused before any launch). */
function vectors(kind: Kind, rowBytes: number, elem: number): number[] {
  return [elem, 4, 8, 16].filter((v, i, all) => all.indexOf(v) === i && v >= elem && v % elem === 0 && (kind !== 'naive' || rowBytes % v === 0));
}

/**
 * Thread groups per row as the methods launch them: a warp and a block, from PCIe (four vectors in flight a
 * lane) and, for the naive and aligned kernels, from GPU memory (one), where naive reads also come in a
 * sub-warp group.
 */
function groups(kind: Kind, rowBytes: number, v: number): { group: number; block: number; grid: number; gpuMemory: boolean }[] {
  const mappings = [{ group: 32, block: 64, grid: 3 }, { group: 64, block: 64, grid: 2 }];
  const out = mappings.map((m) => ({ ...m, gpuMemory: false }));
  if (kind === 'naive' || kind === 'aligned') out.push(...mappings.map((m) => ({ ...m, gpuMemory: true })));
  if (kind === 'naive') {
    let g = 1;
    while (g < 32 && g * v < rowBytes) g *= 2;
    out.push({ group: g, block: 64, grid: 2, gpuMemory: true });
  }
  return out;
}

describe('the gather kernel, emulated on the host', () => {
  it('gathers every row right for every kind, vector width, element size and thread mapping, and writes nothing else', async () => {
    let cases = 0;
    const failures: string[] = [];
    const inFlight = new Set<number>();
    for (const elem of ELEMS)
      for (const width of WIDTHS) {
        const rowBytes = width * elem;
        const table = await addon.createTable({ rows: ROWS, rowBytes, alloc: 'malloc', seed: 11 });
        try {
          // random rows with repeats, and a sweep over the whole table (every row start offset modulo 128 B)
          const sets = [
            addon.generateIndices({ rows: ROWS, count: 257, seed: width * 31 + elem, distribution: { kind: 'uniform' } }),
            addon.generateIndices({ rows: ROWS, count: ROWS, seed: 1, distribution: { kind: 'sequential' } }),
          ];
          for (const kind of KINDS)
            for (const vectorBytes of vectors(kind, rowBytes, elem))
              for (const g of groups(kind, rowBytes, vectorBytes))
                for (const indices of sets) {
                  const r = addon.emulateGather(table, { indices, elemBytes: elem, kind, vectorBytes, ...g });
                  cases++;
                  if (g.gpuMemory) inFlight.add(r.inFlight); // both kernels a gather from GPU memory may run
                  if (!r.ok || r.rowsChecked !== indices.length) failures.push(`${kind} elem=${elem} width=${width} vector=${vectorBytes} group=${g.group} gpuMemory=${g.gpuMemory}: ${r.detail}`);
                }
        } finally {
          table.release();
        }
      }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(1000);
    expect([...inFlight].sort()).toEqual([1, 4]);
  }, 120_000);

  it('keeps one vector in flight a lane only for short rows from GPU memory (at most three vectors a lane)', async () => {
    const inFlight = async (rowBytes: number, o: { gpuMemory: boolean; kind?: 'naive' | 'aligned'; group?: number }) => {
      const table = await addon.createTable({ rows: 4, rowBytes, alloc: 'malloc', seed: 1 });
      try {
        const r = addon.emulateGather(table, { indices: new BigInt64Array([1n]), elemBytes: 4, kind: o.kind ?? 'aligned', vectorBytes: 4, group: o.group ?? 32, block: 64, grid: 1, gpuMemory: o.gpuMemory });
        expect(r.ok).toBe(true);
        return r.inFlight;
      } finally {
        table.release();
      }
    };
    expect(await inFlight(64, { gpuMemory: true })).toBe(1); // (64 + 127) / 4 B over 32 lanes: 2 a lane
    expect(await inFlight(256, { gpuMemory: true })).toBe(1); // 3 a lane
    expect(await inFlight(400, { gpuMemory: true })).toBe(4); // 5 a lane
    expect(await inFlight(4096, { gpuMemory: true })).toBe(4);
    expect(await inFlight(64, { gpuMemory: false })).toBe(4); // over PCIe: always four
    expect(await inFlight(64, { gpuMemory: true, kind: 'naive', group: 16 })).toBe(1); // a sub-warp group, a vector each
    expect(await inFlight(384, { gpuMemory: true, kind: 'naive' })).toBe(1); // naive reads no head: 3 a lane
  });

  it('reads at most V-1 bytes past the last row and none before the first: inside the 256-byte pad every table has', async () => {
    // 37 rows of 100 B end 4 bytes past a 16-byte boundary: the last row's last 16-byte vector reads 12 bytes of pad
    const rows = 37, rowBytes = 100, pad = 256;
    const table = await addon.createTable({ rows, rowBytes, alloc: 'malloc', seed: 1 });
    try {
      const indices = new BigInt64Array(Array.from({ length: rows }, (_, i) => BigInt(i)));
      let most = 0;
      for (const vectorBytes of [4, 8, 16])
        for (const kind of ['naive', 'aligned', 'scatter'] as const) {
          if (kind === 'naive' && rowBytes % vectorBytes) continue;
          const r = addon.emulateGather(table, { indices, elemBytes: 4, kind, vectorBytes, group: 32, block: 64, grid: 2 });
          expect(r.ok).toBe(true);
          expect(r.readFrom).toBe(0);
          expect(r.readTo - rows * rowBytes).toBeLessThan(vectorBytes);
          expect(r.readTo).toBeLessThanOrEqual(rows * rowBytes + pad);
          most = Math.max(most, r.readTo - rows * rowBytes);
        }
      expect(most).toBe(12); // the over-read is real: without the pad the last row's load would leave the table
    } finally {
      table.release();
    }
  });

  it('catches a kernel that writes past its rows (naive loads wider than the row allows, which the methods refuse)', async () => {
    const table = await addon.createTable({ rows: 100, rowBytes: 12, alloc: 'malloc', seed: 1 });
    try {
      const indices = addon.generateIndices({ rows: 100, count: 40, seed: 2, distribution: { kind: 'uniform' } });
      const r = addon.emulateGather(table, { indices, elemBytes: 4, kind: 'naive', vectorBytes: 8, group: 32, block: 64, grid: 1 });
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/wrote outside the output|differs from the table/);
      expect(() => addon.emulateGather(table, { indices, elemBytes: 4, kind: 'aligned', vectorBytes: 4, group: 48, block: 64, grid: 1 })).toThrow(/group must divide the block/);
      expect(() => addon.emulateGather(table, { indices, elemBytes: 4, kind: 'cached', vectorBytes: 4, group: 32, block: 64, grid: 1, gpuMemory: true })).toThrow(/only naive and aligned/);
      expect(() => addon.emulateGather(table, { indices: new BigInt64Array([100n]), elemBytes: 4, kind: 'aligned', vectorBytes: 4, group: 32, block: 64, grid: 1 })).toThrow(/outside the table/);
    } finally {
      table.release();
    }
  });
});
