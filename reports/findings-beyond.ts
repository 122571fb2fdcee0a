/**
 * Findings for the paths beyond PyTorch-Direct, computed from a run's data:
 * where the copy engines overtake GPU-thread zero-copy and where one batch
 * call beats a call per row (kv-cache.yaml), what GPU memory buys as a
 * hot-row cache (feature-cache.yaml), what sorting the batch buys
 * (zerocopy-sorted) and where what users run today stands (peers).
 */
import type { PointResult, RunResults } from '../harness/results/model.js';
import { ok, variantOf, workloadKey } from './charts/data.js';
import type { Finding } from './findings.js';
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
  const parts: string[] = [];
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
      parts.push(`batch ${b} (${dtype}): the copy engines overtake zero-copy at ${size(over.p.derived.rowBytes)} rows, ${ce.method} ${f2(bw(ce))} vs ${f2(bw(over.p))} GB/s (${f2(bw(ce) / bw(over.p))}x)`);
    } else {
      const last = ps[ps.length - 1];
      parts.push(`batch ${b} (${dtype}): zero-copy stays ahead up to ${size(last.p.derived.rowBytes)} rows (${f2(bw(last.p))} vs ${f2(bw(best(last.key)))} GB/s)`);
    }
  }
  // One batch call against a call per row, at the same point.
  const ratios = [...batch].filter(([k]) => rows.has(k)).map(([k, p]) => ({ p, r: bw(p) / bw(rows.get(k)!) }));
  if (ratios.length) {
    const wins = ratios.filter((x) => x.r > 1.05);
    const top = ratios.sort((a, b) => b.r - a.r)[0];
    parts.push(
      wins.length
        ? `one cudaMemcpyBatchAsync beats a cudaMemcpyAsync per row at ${wins.length} of ${ratios.length} points, by up to ${f2(top.r)}x (${size(top.p.derived.rowBytes)} rows, batch ${top.p.axes.batch})`
        : `one cudaMemcpyBatchAsync never beats a call per row by more than 5% here (best ${f2(top.r)}x)`,
    );
  }
  return { title: 'Copy engines against GPU-thread zero-copy', text: `${parts.join('; ')}.`, chart: 'bandwidth-by-width' };
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
  const parts: string[] = [];
  const sanity: number[] = [];
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
    const before = flat ? ps[ps.indexOf(flat) - 1] : undefined;
    parts.push(
      `${where}: ${doubled ? `twice plain zero-copy's ${f2(bw(base))} GB/s with ${pct(doubled)} cached (${gib(doubled)}, hit rate ${(Number(doubled.details['cache hit rate']) * 100).toFixed(0)}%)` : `never twice plain zero-copy (best ${f2(Math.max(...ps.map(bw)) / bw(base))}x)`}` +
        (flat && before ? (cachedShare(before) === 0 ? `; the smallest cache (${pct(flat)}) adds under 5%` : `; stops paying past ${pct(before)} (${pct(flat)} adds under 5%)`) : ''),
    );
  }
  const check = sanity.length ? ` Uniform indices, where the hit rate must equal the cached share: largest difference ${(Math.max(...sanity) * 100).toFixed(2)} percentage points.` : '';
  return { title: 'What a GPU hot-row cache buys', text: `${parts.slice(0, 12).join('; ')}${parts.length > 12 ? `; and ${parts.length - 12} more` : ''}.${check}`, chart: 'cache-share' };
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
  if (!rows.length) return { title: 'Against what users run today', text: `Peers measured (${[...new Set(peers.map((p) => p.method))].join(', ')}), but no zero-copy point shares their workload.`, chart: 'bandwidth-by-width' };
  rows.sort((a, b) => a.z.derived.rowBytes - b.z.derived.rowBytes || Number(a.z.axes.batch) - Number(b.z.axes.batch));
  const text = rows
    .slice(0, 16)
    .map(({ z, peer }) => `${size(z.derived.rowBytes)} rows, batch ${z.axes.batch}: zero-copy ${f2(bw(z))} GB/s vs ${peer.method} ${f2(bw(peer))} (${f2(bw(z) / bw(peer))}x)`)
    .join('; ');
  return { title: 'Against what users run today', text: `Zero-copy (aligned) against the best peer measured at the same point: ${text}${rows.length > 16 ? `; and ${rows.length - 16} more` : ''}.`, chart: 'bandwidth-by-width' };
}

/** Per row size: the batch sorted first (zerocopy-sorted, as DGL and GraphBolt do) against the aligned gather in batch order. */
export function sortedFinding(run: RunResults): Finding | undefined {
  const sorted = byWorkload(run, 'zerocopy-sorted'), zc = byWorkload(run, 'zerocopy-aligned');
  const rows = [...sorted].filter(([k]) => zc.has(k)).map(([k, s]) => ({ s, z: zc.get(k)! }));
  if (!rows.length) return undefined;
  rows.sort((a, b) => a.s.derived.tableBytes - b.s.derived.tableBytes || a.s.derived.rowBytes - b.s.derived.rowBytes || Number(a.s.axes.batch) - Number(b.s.axes.batch));
  const loads = (p: PointResult) => p.details.loads?.replace(/^aligned /, '');
  const both = (s: PointResult, z: PointResult) => (loads(s) && loads(z) ? `; loads ${loads(s)} vs ${loads(z)}` : '');
  const text = rows
    .slice(0, 16)
    .map(({ s, z }) => `${size(s.derived.rowBytes)} rows, batch ${s.axes.batch}${s.axes.table ? `, ${s.axes.table}` : ''}: ${f2(bw(s))} vs ${f2(bw(z))} GB/s (${f2(bw(s) / bw(z))}x${both(s, z)})`)
    .join('; ');
  return {
    title: 'Sorting the batch first',
    text: `zerocopy-sorted (indices radix-sorted on the GPU inside the timed region, rows read in table order, the widest loads the row allows) against zerocopy-aligned in batch order: ${text}${rows.length > 16 ? `; and ${rows.length - 16} more` : ''}.`,
    chart: 'bandwidth-by-width',
  };
}
