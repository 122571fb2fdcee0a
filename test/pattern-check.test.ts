/**
 * The GPU's verification of an output (pattern_check in kernels/gather.cu: every output word against the
 * table's pattern, derived from the seed and each byte's table offset, never read from the table), run on the
 * host through the same device function (expected_output_word in hash.h). It must derive the reference the
 * host derives, agree with the checksum of a right output, and name the first wrong byte of a wrong one.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../harness/native/addon.js';

const { addon } = loadAddon();
if (!addon) throw new Error('tests need the native addon');

// whole words, rows that straddle words, rows shorter than a word, an odd row
const ROW_BYTES = [1, 3, 6, 8, 12, 64, 100, 257, 4096];

describe("the GPU's pattern check, emulated on the host", () => {
  it('derives the host reference and the checksum of a right output, for rows of any length', async () => {
    for (const rowBytes of ROW_BYTES) {
      const table = await addon.createTable({ rows: 300, rowBytes, alloc: 'malloc', seed: 7 });
      try {
        for (const count of [1, 2, 7, 129]) {
          const indices = addon.generateIndices({ rows: 300, count, seed: rowBytes + count, distribution: { kind: 'uniform' } });
          const r = addon.emulatePatternCheck(table, { indices });
          expect(r.firstBadByte, `rows of ${rowBytes} B, ${count} rows`).toBe(-1);
          expect(r.checksum).toBe(r.hostReference);
          expect(r.outputChecksum).toBe(r.hostReference);
        }
      } finally {
        table.release();
      }
    }
  });

  it('names the first wrong byte wherever it is, the last byte of an output that ends inside a word too', async () => {
    for (const rowBytes of [3, 12, 100, 257]) {
      const table = await addon.createTable({ rows: 300, rowBytes, alloc: 'malloc', seed: 9 });
      try {
        const indices = addon.generateIndices({ rows: 300, count: 33, seed: 3, distribution: { kind: 'uniform' } });
        const bytes = 33 * rowBytes;
        for (const at of [0, 1, 7, 8, rowBytes, Math.floor(bytes / 2), bytes - 1]) {
          const r = addon.emulatePatternCheck(table, { indices, corruptByte: at });
          expect(r.firstBadByte, `rows of ${rowBytes} B, byte ${at}`).toBe(at);
          expect(r.checksum).toBe(r.hostReference); // the reference does not read the output
          expect(r.outputChecksum).not.toBe(r.hostReference);
        }
      } finally {
        table.release();
      }
    }
  });

  it('tells a row named twice from a wrong row: a repeated index is checked at each of its places', async () => {
    const table = await addon.createTable({ rows: 50, rowBytes: 40, alloc: 'malloc', seed: 2 });
    try {
      const indices = new BigInt64Array([5n, 5n, 49n, 0n, 5n]);
      expect(addon.emulatePatternCheck(table, { indices }).firstBadByte).toBe(-1);
      expect(addon.emulatePatternCheck(table, { indices, corruptByte: 4 * 40 + 39 }).firstBadByte).toBe(4 * 40 + 39);
      expect(() => addon.emulatePatternCheck(table, { indices: new BigInt64Array([50n]) })).toThrow(/outside the table/);
    } finally {
      table.release();
    }
  });
});
