/**
 * What a warp's loads of one row put on the PCIe link. Each warp load
 * instruction covers a contiguous byte range; the GPU sends one read request
 * per 128-byte segment it touches and fetches the 32-byte sectors it touches.
 * Naive warps start at the row start, so a row that does not start on a
 * 128-byte boundary makes every instruction straddle two segments; aligned
 * warps start at the boundary below the row start, lanes before it idle.
 * A sector that two instructions share is fetched by each: misalignment
 * costs bytes on the wire as well as requests.
 */

export interface AccessCounts {
  /** read requests (segment touches) per row */
  requests: number;
  /** 32-byte sectors fetched per row */
  sectors: number;
}

export function rowAccess(rowBytes: number, offset: number, vectorBytes: number, aligned: boolean, lanes = 32): AccessCounts {
  const o = offset % 128;
  const head = aligned ? o : 0;
  const base = aligned ? o - head : o; // byte address of vector 0
  const nvec = Math.ceil((head + rowBytes) / vectorBytes);
  const first = aligned ? Math.floor(head / vectorBytes) : 0;
  let requests = 0, sectors = 0;
  for (let i = 0; i * lanes < nvec; i++) {
    const v0 = Math.max(i * lanes, first), v1 = Math.min((i + 1) * lanes, nvec);
    if (v0 >= v1) continue;
    const lo = base + v0 * vectorBytes, hi = base + v1 * vectorBytes;
    requests += Math.floor((hi - 1) / 128) - Math.floor(lo / 128) + 1;
    sectors += Math.floor((hi - 1) / 32) - Math.floor(lo / 32) + 1;
  }
  return { requests, sectors };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The start offsets modulo 128 bytes that rows of this size take in a table (row r starts at r x rowBytes). */
export function rowStartOffsets(rowBytes: number): number[] {
  const step = gcd(rowBytes, 128);
  return Array.from({ length: 128 / step }, (_, i) => i * step);
}

/** Averaged over the row start offsets a random row of this width can have. */
export function meanRowAccess(rowBytes: number, vectorBytes: number, aligned: boolean): AccessCounts {
  const offsets = rowStartOffsets(rowBytes);
  let requests = 0, sectors = 0;
  for (const o of offsets) {
    const a = rowAccess(rowBytes, o, vectorBytes, aligned);
    requests += a.requests;
    sectors += a.sectors;
  }
  return { requests: requests / offsets.length, sectors: sectors / offsets.length };
}

/** Expected distinct pages touched by `rows` random rows of a table of `tablePages` pages, each row spanning `pagesPerRow`. */
export function distinctPages(rows: number, tablePages: number, pagesPerRow: number): number {
  if (tablePages <= 0) return 0;
  return tablePages * (1 - Math.exp((-rows * pagesPerRow) / tablePages));
}
