/**
 * Findings computed from a run's data, each linked to the chart that shows
 * it: how close zero-copy comes to the copy ceiling, where it overtakes the
 * CPU path, what alignment buys, where the translation cliff starts, and
 * what the CPU and energy savings are.
 */
import type { PointResult, RunResults } from '../harness/results/model.js';
import { alignmentGains, baselineMethod, ceilingMethod, ok, variantOf, workloadKey } from './charts/data.js';
import { FLAG_ERROR, modelRun } from '../harness/model/model.js';
import { cacheFinding, copyEngineFinding, peerFinding, sortedFinding } from './findings-beyond.js';
import { f2, sig, spanOf } from './format.js';

export interface Finding {
  title: string;
  text: string;
  /** the chart that shows it */
  chart: string;
}

/** The method's points in their default form, without background contention. */
const plain = (run: RunResults, method: string) => ok(run).filter((p) => p.method === method && variantOf(p) === '' && Number(p.axes.contention ?? 0) === 0);
const point = (p: PointResult) => `width ${p.axes.width} (${p.derived.rowBytes} B rows), batch ${p.axes.batch}${p.axes.table ? `, table ${p.axes.table}` : ''}`;

function byWorkload(points: PointResult[]): Map<string, PointResult> {
  return new Map(points.map((p) => [workloadKey(p), p]));
}

function ceilingFinding(run: RunResults): Finding | undefined {
  const ceiling = ceilingMethod(run);
  // uniform indices only: a small hot set is served from the GPU's L2 and may beat the link
  const zc = plain(run, 'zerocopy-aligned').filter((p) => p.axes.distribution === 'uniform');
  if (ceiling !== 'pinned-memcpy' || !zc.length) return undefined;
  const ceil = byWorkload(plain(run, ceiling).map((p) => ({ ...p, axes: { ...p.axes, distribution: undefined } })));
  const pairs = zc
    .filter((p) => p.derived.rowBytes >= 2048)
    .map((p) => ({ p, c: ceil.get(workloadKey({ ...p, axes: { ...p.axes, distribution: undefined } })) }))
    .filter((x) => x.c);
  if (!pairs.length) return undefined;
  const ratios = pairs.map((x) => x.p.bandwidth!.median / x.c!.bandwidth!.median);
  const worst = pairs[ratios.indexOf(Math.min(...ratios))];
  return {
    title: 'Zero-copy against the copy ceiling',
    text: `For rows of 2 KB and more, zero-copy (aligned) reaches ${spanOf(ratios.map((r) => r * 100), '%', (x) => x.toFixed(0))} of the pinned cudaMemcpy bandwidth measured at the same point (lowest: ${f2(worst.p.bandwidth!.median)} vs ${f2(worst.c!.bandwidth!.median)} GB/s at ${point(worst.p)}).`,
    chart: 'bandwidth-by-width',
  };
}

function crossoverFinding(run: RunResults): Finding | undefined {
  const base = baselineMethod(run);
  const zc = plain(run, 'zerocopy-aligned');
  if (!base || !zc.length) return undefined;
  const b = byWorkload(plain(run, base));
  const rows = zc.map((p) => ({ p, s: b.get(workloadKey(p)) ? b.get(workloadKey(p))!.stats!.median / p.stats!.median : undefined })).filter((x) => x.s !== undefined);
  if (!rows.length) return undefined;
  const losing = rows.filter((x) => x.s! < 1);
  const best = rows.reduce((a, x) => (x.s! > a.s! ? x : a));
  const worst = rows.reduce((a, x) => (x.s! < a.s! ? x : a));
  if (!losing.length)
    return {
      title: 'Crossover with the CPU path',
      text: `Zero-copy (aligned) beats ${base} at every measured point: by ${f2(worst.s!)}x at the least (${point(worst.p)}) up to ${f2(best.s!)}x (${point(best.p)}), so there is no crossover in this sweep.`,
      chart: 'speedup-heatmap',
    };
  const varies = (a: 'table' | 'distribution') => new Set(rows.map((r) => r.p.axes[a])).size > 1;
  const extra = (p: PointResult) => [varies('table') ? p.axes.table : '', varies('distribution') ? p.axes.distribution : ''].filter(Boolean).join(', ');
  const where = (xs: typeof rows) => [...new Set(xs.map((x) => `${x.p.axes.width}`))].map((w) => `width ${w} at batch ${xs.filter((x) => x.p.axes.width === w).map((x) => `${x.p.axes.batch}${extra(x.p) ? ` (${extra(x.p)})` : ''}`).join(', ')}`).join('; ');
  return {
    title: 'Crossover with the CPU path',
    text: `Zero-copy (aligned) beats ${base} at ${rows.length - losing.length} of ${rows.length} points (best ${f2(best.s!)}x at ${point(best.p)}) and loses at ${losing.length}: ${where(losing)} (worst ${f2(worst.s!)}x at ${point(worst.p)}). Where it loses, small rows over a big table make zero-copy translation-bound while the CPU gathers from its own caches and TLBs.`,
    chart: 'speedup-heatmap',
  };
}

function alignmentFinding(run: RunResults): Finding | undefined {
  const g = alignmentGains(run).filter((r) => r.vector === 'elem');
  if (!g.length) return undefined;
  const odd = g.filter((r) => ((r.width * (r.dtype === 'fp64' ? 8 : r.dtype === 'fp32' ? 4 : 2)) % 128) !== 0);
  const even = g.filter((r) => !odd.includes(r));
  const range = (rs: typeof g) => spanOf(rs.map((r) => r.gain), 'x');
  const text = odd.length
    ? `With element-wide loads, the 128-byte-aligned mapping gives ${range(odd)} over naive where rows are not a multiple of 128 bytes (widths ${[...new Set(odd.map((r) => r.width))].join(', ')})${even.length ? `, and ${range(even)} where they are` : ''}.`
    : `Every row here is a multiple of 128 bytes, so alignment has nothing to fix: aligned over naive is ${range(even)}.`;
  return { title: 'Alignment gain', text, chart: 'alignment-gain' };
}

/** Small rows over a big table: each knob tried against the plain aligned gather at the same point. */
function knobsFinding(run: RunResults): Finding | undefined {
  // small rows: the ones the cliff hits (4 KB rows keep the link's bandwidth over any table)
  const zc = ok(run).filter((p) => p.method === 'zerocopy-aligned' && Number(p.axes.contention ?? 0) === 0 && p.derived.rowBytes <= 512);
  const biggest = Math.max(...zc.map((p) => p.derived.tableBytes));
  const knob = (p: PointResult) => [variantOf(p), p.axes.distribution !== 'uniform' ? `${p.axes.distribution} indices` : ''].filter(Boolean).join(' ') || 'plain';
  const parts: string[] = [];
  for (const batch of [...new Set(zc.map((p) => p.axes.batch))]) {
    for (const width of [...new Set(zc.map((p) => p.axes.width))]) {
      const at = zc.filter((p) => p.derived.tableBytes === biggest && p.axes.batch === batch && p.axes.width === width);
      const base = at.find((p) => knob(p) === 'plain');
      const others = at.filter((p) => p !== base);
      if (!base || others.length < 2) continue;
      parts.push(`${base.derived.rowBytes} B rows, batch ${batch}, ${base.axes.table}: plain ${f2(base.bandwidth!.median)} GB/s; ${others.map((p) => `${knob(p)} ${f2(p.bandwidth!.median)} (${f2(p.bandwidth!.median / base.bandwidth!.median)}x)`).join(', ')}`);
    }
  }
  if (!parts.length) return undefined;
  return { title: 'Knobs tried against the cliff', text: `${parts.join('. ')}.`, chart: 'bandwidth-by-width' };
}

function cliffFinding(run: RunResults): Finding | undefined {
  const zc = ok(run).filter((p) => p.method.startsWith('zerocopy') && variantOf(p) === '');
  const tables = new Set(zc.map((p) => p.axes.table));
  if (tables.size < 2) return undefined;
  const texts: string[] = [];
  const groups = new Map<string, PointResult[]>();
  for (const p of zc) {
    const k = `${p.method} ${p.derived.rowBytes} ${p.axes.batch} ${p.axes.distribution}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  for (const ps of groups.values()) {
    ps.sort((a, b) => a.derived.tableBytes - b.derived.tableBytes);
    const first = ps[0];
    const drop = ps.find((p) => p.bandwidth!.median < 0.7 * first.bandwidth!.median);
    if (drop && ps.length > 1) {
      const before = ps[ps.indexOf(drop) - 1];
      texts.push(`${first.method}, ${first.derived.rowBytes} B rows, batch ${first.axes.batch}: ${f2(before.bandwidth!.median)} GB/s at ${before.axes.table} to ${f2(drop.bandwidth!.median)} GB/s at ${drop.axes.table}`);
    }
  }
  // Results from before sampling.flush existed were warm.
  const state = run.scenario.sampling.flush === true ? 'Cold samples (caches and translation flushed before each). ' : 'Warm samples: each found the caches and translation state the previous one left, which flatters the cliff. ';
  return {
    title: 'Address-translation cliff',
    text: state + (texts.length ? `Bandwidth falls by more than 30% as the table grows: ${texts.slice(0, 6).join('; ')}${texts.length > 6 ? `; and ${texts.length - 6} more` : ''}.` : 'No zero-copy series lost more than 30% of its bandwidth across the table sizes measured.'),
    chart: 'table-size',
  };
}

function savingsFinding(run: RunResults): Finding | undefined {
  const base = baselineMethod(run);
  if (!base) return undefined;
  const zc = byWorkload(plain(run, 'zerocopy-aligned').filter((p) => p.telemetry));
  const pairs = plain(run, base).filter((p) => p.telemetry && zc.has(workloadKey(p)) && Number(p.axes.contention ?? 0) === 0);
  if (!pairs.length) return undefined;
  const b = pairs.reduce((a, p) => (p.derived.usefulBytes > a.derived.usefulBytes ? p : a));
  const z = zc.get(workloadKey(b))!;
  const bt = b.telemetry!, zt = z.telemetry!;
  const parts = [`CPU: ${sig(bt.cpuSecondsPerGB)} vs ${sig(zt.cpuSecondsPerGB)} CPU-seconds per GB (${sig(bt.methodCores)} vs ${sig(zt.methodCores)} cores busy)`];
  if (bt.gpu?.energyPerGBJ !== undefined && zt.gpu?.energyPerGBJ !== undefined) parts.push(`GPU board energy: ${f2(bt.gpu.energyPerGBJ)} vs ${f2(zt.gpu.energyPerGBJ)} J/GB`);
  if (bt.cpuPackage && zt.cpuPackage) parts.push(`CPU package energy: ${f2(bt.cpuPackage.energyPerGBJ)} vs ${f2(zt.cpuPackage.energyPerGBJ)} J/GB`);
  else parts.push('CPU package energy: not measured here (no readable RAPL)');
  return { title: 'CPU and energy savings', text: `At the largest common point (${point(b)}), ${base} vs zero-copy (aligned) — ${parts.join('; ')}.`, chart: 'cpu-cost' };
}

function modelFinding(run: RunResults): Finding | undefined {
  const m = modelRun(run);
  if (!m.fits.length) return undefined;
  const fitted = m.points.filter((p) => p.predicted !== undefined);
  const flagged = fitted.filter((p) => p.flagged);
  const fits = m.fits.map((f) => `${f.family} ${(f.medianAbsError * 100).toFixed(1)}% (${Object.entries(f.constants).map(([k, v]) => `${k} ${Number.isFinite(v) ? +v.toPrecision(3) : 'n/a'}`).join(', ')})`);
  return {
    title: 'Model fit',
    text: `Median prediction error per family: ${fits.join('; ')}. ${flagged.length} of ${fitted.length} points are off by more than ${FLAG_ERROR * 100}%${flagged.length ? `, e.g. ${flagged.slice(0, 3).map((p) => `${p.id} (${(p.error! * 100).toFixed(0)}%)`).join(', ')}` : ''}.`,
    chart: 'model-fit',
  };
}

export function findings(run: RunResults): Finding[] {
  return [ceilingFinding, crossoverFinding, alignmentFinding, cliffFinding, knobsFinding, copyEngineFinding, cacheFinding, sortedFinding, peerFinding, savingsFinding, modelFinding].map((f) => f(run)).filter((x): x is Finding => x !== undefined);
}
