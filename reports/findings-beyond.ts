/**
 * Findings for the paths beyond PyTorch-Direct, computed from a run's data:
 * where the copy engines overtake GPU-thread zero-copy and where one batch
 * call beats a call per row (kv-cache.yaml), what GPU memory buys as a
 * hot-row cache (feature-cache.yaml), what sorting the batch buys
 * (zerocopy-sorted) and where what users run today stands (peers).
 */
import type { PointResult, RunResults } from '../harness/results/model.js';
import { ok, variantOf, workloadKey } from './charts/data.js';
import type { Finding } from './finding.js';
import { methodSpec } from '../harness/methods.js';
import { formatBytes } from '../harness/units.js';
import { f2 } from './format.js';

const size = formatBytes;
const bw = (p: PointResult) => p.bandwidth!.median;

/** Points of `method` by workload (width, dtype, batch, table, distribution, contention); the plain form wins over variants. */
function byWorkload(run: RunResults, method: string): Map<string, PointResult> {
  const ps = ok(run).filter((p) => p.method === method);
  return new Map([...ps.filter((p) => variantOf(p) !== ''), ...ps.filter((p) => variantOf(p) === '')].map((p) => [workloadKey(p), p]));
}

export function copyEngineFinding(run: RunResults): Finding | undefined {
  const rows = byWorkload(run, 'copy-engine-rows'), batch = byWorkload(run, 'copy-engine-batch'), zc = byWorkload(run, 'zerocopy-aligned');
  if (!rows.size && !batch.size) return undefined;
  const rowsOut: string[][] = [];
  let first: { b: string; rowBytes: number; ratio: number } | undefined;
  // Per batch size: the smallest row at which the better copy-engine path beats zero-copy.
  const groups = new Map<string, { key: string; p: PointResult }[]>();
  for (const [key, z] of zc) {
    if (!rows.has(key) && !batch.has(key)) continue;
    const g = `${z.axes.batch}|${z.axes.dtype}`;
    groups.set(g, [...(groups.get(g) ?? []), { key, p: z }]);
  }
  for (const [g, ps] of groups) {
    ps.sort((a, b) => a.p.derived.rowBytes - b.p.derived.rowBytes);
    const best = (key: string) => [rows.get(key), batch.get(key)].filter((x): x is PointResult => !!x).sort((a, b) => bw(b) - bw(a))[0];
    const over = ps.find(({ key, p }) => bw(best(key)) > bw(p));
    const [b, dtype] = g.split('|');
    if (over) {
      const ce = best(over.key);
      if (!first || over.p.derived.rowBytes < first.rowBytes) first = { b, rowBytes: over.p.derived.rowBytes, ratio: bw(ce) / bw(over.p) };
      rowsOut.push([`${b} (${dtype})`, `from ${size(over.p.derived.rowBytes)} rows`, `${ce.method} ${f2(bw(ce))} vs ${f2(bw(over.p))} GB/s (${f2(bw(ce) / bw(over.p))}x)`]);
    } else {
      const last = ps[ps.length - 1];
      rowsOut.push([`${b} (${dtype})`, `never, up to ${size(last.p.derived.rowBytes)} rows`, `zero-copy ${f2(bw(last.p))} vs ${f2(bw(best(last.key)))} GB/s`]);
    }
  }
  // One batch call against a call per row, at the same point.
  const ratios = [...batch].filter(([k]) => rows.has(k)).map(([k, p]) => ({ p, r: bw(p) / bw(rows.get(k)!) }));
  const wins = ratios.filter((x) => x.r > 1.05);
  const top = ratios.sort((a, b) => b.r - a.r)[0];
  const batchCall = !ratios.length ? '' : wins.length
    ? ` One cudaMemcpyBatchAsync beats a cudaMemcpyAsync per row at ${wins.length} of ${ratios.length} points, by up to ${f2(top.r)}x (${size(top.p.derived.rowBytes)} rows, batch ${top.p.axes.batch}).`
    : ` One cudaMemcpyBatchAsync never beats a call per row by more than 5% here (best ${f2(top.r)}x).`;
  const lead = first ? `The copy engines overtake zero-copy from ${size(first.rowBytes)} rows (batch ${first.b}, ${f2(first.ratio)}x).` : 'Zero-copy stays ahead of the copy engines at every row size measured.';
  return { title: 'Copy engines against GPU-thread zero-copy', headline: lead + batchCall, detail: { columns: ['batch', 'copy engines ahead', 'at that point'], rows: rowsOut }, chart: 'bandwidth-by-width' };
}

/** Cached share of a point: from the cache axis, or the measured cache rows over the table's. */
export function cachedShare(p: PointResult): number {
  const rows = Number(p.details['cache rows']);
  return Number.isFinite(rows) && p.derived.tableRows ? rows / p.derived.tableRows : Number(p.axes.cache ?? 0);
}

export function cacheFinding(run: RunResults): Finding | undefined {
  const cached = ok(run).filter((p) => p.method === 'cached-zerocopy');
  if (!cached.length) return undefined;
  const zc = byWorkload(run, 'zerocopy-aligned');
  const groups = new Map<string, PointResult[]>();
  for (const p of cached) groups.set(workloadKey(p), [...(groups.get(workloadKey(p)) ?? []), p]);
  const rowsOut: string[][] = [];
  const sanity: number[] = [];
  let top: { where: string; gain: number; share: string; hit: string } | undefined;
  for (const [key, ps] of groups) {
    ps.sort((a, b) => cachedShare(a) - cachedShare(b));
    const base = zc.get(key) ?? ps.find((p) => cachedShare(p) === 0);
    const where = `${ps[0].axes.distribution}, ${ps[0].derived.rowBytes} B rows`;
    if (ps[0].axes.distribution === 'uniform') for (const p of ps) sanity.push(Math.abs(Number(p.details['cache hit rate']) - cachedShare(p)));
    if (!base) continue;
    const doubled = ps.find((p) => bw(p) >= 2 * bw(base));
    // Where the cache stops paying: the first step that adds less than 5% over the share before it.
    const flat = ps.find((p, i) => i > 0 && cachedShare(p) > 0 && bw(p) < 1.05 * bw(ps[i - 1]));
    const gib = (p: PointResult) => `${+((cachedShare(p) * p.derived.tableBytes) / 2 ** 30).toFixed(2)} GiB`;
    const pct = (p: PointResult) => `${+(cachedShare(p) * 100).toFixed(1)}%`;
    const hit = (p: PointResult) => `${(Number(p.details['cache hit rate']) * 100).toFixed(0)}%`;
    const before = flat ? ps[ps.indexOf(flat) - 1] : undefined;
    const bestP = ps.reduce((a, p) => (bw(p) > bw(a) ? p : a));
    if (!top || bw(bestP) / bw(base) > top.gain) top = { where, gain: bw(bestP) / bw(base), share: pct(bestP), hit: hit(bestP) };
    rowsOut.push([
      where,
      doubled ? `twice plain zero-copy's ${f2(bw(base))} GB/s with ${pct(doubled)} cached (${gib(doubled)}, hit rate ${hit(doubled)})` : `never twice plain zero-copy (best ${f2(bw(bestP) / bw(base))}x)`,
      flat && before ? (cachedShare(before) === 0 ? `the smallest cache (${pct(flat)}) adds under 5%` : `stops paying past ${pct(before)} (${pct(flat)} adds under 5%)`) : '',
    ]);
  }
  const check = sanity.length ? ` Uniform indices hit the cached share within ${(Math.max(...sanity) * 100).toFixed(2)} percentage points.` : '';
  const lead = top ? `Caching ${top.share} of the table gives ${f2(top.gain)}x plain zero-copy at ${top.where} (hit rate ${top.hit}), the largest gain measured.` : 'No cached point shares a workload with plain zero-copy.';
  return { title: 'What a GPU hot-row cache buys', headline: lead + check, detail: { columns: ['indices, rows', 'gain', 'where it stops paying'], rows: rowsOut }, chart: 'cache-share' };
}

/** Per row size: zero-copy (aligned) against the best peer (what users run today) at the same point. */
export function peerFinding(run: RunResults): Finding | undefined {
  const peers = ok(run).filter((p) => methodSpec(p.method)?.role === 'peer');
  if (!peers.length) return undefined;
  const zc = byWorkload(run, 'zerocopy-aligned');
  const best = new Map<string, PointResult>();
  for (const p of peers) {
    const k = workloadKey(p);
    if (!best.has(k) || bw(p) > bw(best.get(k)!)) best.set(k, p);
  }
  const rows = [...best].filter(([k]) => zc.has(k)).map(([k, peer]) => ({ z: zc.get(k)!, peer }));
  if (!rows.length) return { title: 'Against what users run today', headline: `Peers measured (${[...new Set(peers.map((p) => p.method))].join(', ')}), but no zero-copy point shares their workload.`, chart: 'bandwidth-by-width' };
  rows.sort((a, b) => a.z.derived.rowBytes - b.z.derived.rowBytes || Number(a.z.axes.batch) - Number(b.z.axes.batch));
  const r = (x: (typeof rows)[number]) => bw(x.z) / bw(x.peer);
  const hi = rows.reduce((a, x) => (r(x) > r(a) ? x : a)), lo = rows.reduce((a, x) => (r(x) < r(a) ? x : a));
  const at = (x: (typeof rows)[number]) => `${size(x.z.derived.rowBytes)} rows, batch ${x.z.axes.batch}, against ${x.peer.method}`;
  return {
    title: 'Against what users run today',
    headline: hi === lo ? `Zero-copy (aligned) reads ${f2(r(hi))}x the bandwidth of the best peer at the same point (${at(hi)}).` : `Zero-copy (aligned) reads ${f2(r(lo))}-${f2(r(hi))}x the bandwidth of the best peer at the same point: ${f2(r(hi))}x at ${at(hi)}, ${f2(r(lo))}x at ${at(lo)}.`,
    detail: { columns: ['rows', 'batch', 'zero-copy GB/s', 'best peer', 'GB/s', 'zero-copy over it'], rows: rows.map(({ z, peer }) => [size(z.derived.rowBytes), String(z.axes.batch), f2(bw(z)), peer.method, f2(bw(peer)), `${f2(bw(z) / bw(peer))}x`]) },
    chart: 'bandwidth-by-width',
  };
}

/** Per row size: the batch sorted first (zerocopy-sorted, as DGL and GraphBolt do) against the aligned gather in batch order. */
/** Whether the two paths compared read with loads of another width (a finding must name every setting in which they differ). */
function loadsDiffer(rows: { s: PointResult; z: PointResult }[]): boolean {
  const w = (p: PointResult) => (p.details.loads ?? '').match(/(\d+) B/)?.[1];
  return rows.some(({ s, z }) => w(s) !== undefined && w(z) !== undefined && w(s) !== w(z));
}

export function sortedFinding(run: RunResults): Finding | undefined {
  const sorted = byWorkload(run, 'zerocopy-sorted'), zc = byWorkload(run, 'zerocopy-aligned');
  const rows = [...sorted].filter(([k]) => zc.has(k)).map(([k, s]) => ({ s, z: zc.get(k)! }));
  if (!rows.length) return undefined;
  rows.sort((a, b) => a.s.derived.tableBytes - b.s.derived.tableBytes || a.s.derived.rowBytes - b.s.derived.rowBytes || Number(a.s.axes.batch) - Number(b.s.axes.batch));
  const loads = (p: PointResult) => p.details.loads?.replace(/^aligned /, '') ?? '';
  const r = (x: (typeof rows)[number]) => bw(x.s) / bw(x.z);
  const hi = rows.reduce((a, x) => (r(x) > r(a) ? x : a)), lo = rows.reduce((a, x) => (r(x) < r(a) ? x : a));
  const at = (x: (typeof rows)[number]) => `${size(x.s.derived.rowBytes)} rows, batch ${x.s.axes.batch}${x.s.axes.table ? `, ${x.s.axes.table}` : ''}`;
  return {
    title: 'Sorting the batch first',
    headline: `Sorting each batch's indices on the GPU first (zerocopy-sorted, sort timed) gives ${hi === lo ? `${f2(r(hi))}x the aligned gather in batch order (${at(hi)})` : `${f2(r(lo))}-${f2(r(hi))}x the aligned gather in batch order: ${f2(r(hi))}x at ${at(hi)}, ${f2(r(lo))}x at ${at(lo)}`}${loadsDiffer(rows) ? `; they differ in their loads too (${loads(hi.s)} sorted, ${loads(hi.z)} in batch order)` : ''}.`,
    detail: { columns: ['rows', 'batch', 'table', 'sorted GB/s', 'batch order GB/s', 'sorted over it', 'loads (sorted vs batch order)'], rows: rows.map(({ s, z }) => [size(s.derived.rowBytes), String(s.axes.batch), s.axes.table ?? '', f2(bw(s)), f2(bw(z)), `${f2(bw(s) / bw(z))}x`, loads(s) && loads(z) ? `${loads(s)} vs ${loads(z)}` : '']) },
    chart: 'bandwidth-by-width',
  };
}
