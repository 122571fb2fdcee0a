/**
 * Findings computed from a run's data, each linked to the chart that shows
 * it: how close zero-copy comes to the copy ceiling, where it overtakes the
 * CPU path, what alignment buys, where the translation cliff starts, and
 * what the CPU and energy savings are.
 */
import type { PointResult, RunResults } from '../harness/results/model.js';
import { alignmentGains, baselineMethod, ceilingMethod, ok, variantOf, workloadKey } from './charts/data.js';
import { cpuDrawsBasis } from './cpu-draws.js';
import { methodSpec } from '../harness/methods.js';
import { FLAG_ERROR, modelRun } from '../harness/model/model.js';
import { cacheFinding, copyEngineFinding, peerFinding, sortedFinding } from './findings-beyond.js';
import { STEP_FINDINGS } from './findings-step.js';
import type { Finding } from './finding.js';
import { f2, sig, spanOf } from './format.js';

export type { Finding } from './finding.js';

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
    headline: `For rows of 2 KB and more, zero-copy (aligned) reaches ${spanOf(ratios.map((r) => r * 100), '%', (x) => x.toFixed(0))} of the pinned cudaMemcpy bandwidth measured at the same point (lowest: ${f2(worst.p.bandwidth!.median)} vs ${f2(worst.c!.bandwidth!.median)} GB/s at ${point(worst.p)}).`,
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
      headline: `Zero-copy (aligned) beats ${base} at every measured point: by ${f2(worst.s!)}x at the least (${point(worst.p)}) up to ${f2(best.s!)}x (${point(best.p)}), so there is no crossover in this sweep.`,
      basis: cpuDrawsBasis(plain(run, base)),
      chart: 'speedup-heatmap',
    };
  return {
    title: 'Crossover with the CPU path',
    headline: `Zero-copy (aligned) beats ${base} at ${rows.length - losing.length} of ${rows.length} points, by up to ${f2(best.s!)}x (${point(best.p)}), and loses at ${losing.length}, by ${f2(1 / worst.s!)}x at worst (${point(worst.p)}). Where it loses, small rows over a big table make zero-copy translation-bound.`,
    detail: { columns: ['where zero-copy loses', 'table', 'indices', `speed-up over ${base}`], rows: losing.map((x) => [point(x.p).replace(/, table .*$/, ''), x.p.axes.table ?? '', x.p.axes.distribution ?? '', `${f2(x.s!)}x`]) },
    basis: cpuDrawsBasis(plain(run, base)),
    chart: 'speedup-heatmap',
  };
}

function alignmentFinding(run: RunResults): Finding | undefined {
  const g = alignmentGains(run).filter((r) => r.vector === 'elem');
  if (!g.length) return undefined;
  const odd = g.filter((r) => ((r.width * (r.dtype === 'fp64' ? 8 : r.dtype === 'fp32' ? 4 : 2)) % 128) !== 0);
  const even = g.filter((r) => !odd.includes(r));
  const range = (rs: typeof g) => spanOf(rs.map((r) => r.gain), 'x');
  const headline = odd.length
    ? `With element-wide loads, the 128-byte-aligned mapping gives ${range(odd)} over naive where rows are not a multiple of 128 bytes (widths ${[...new Set(odd.map((r) => r.width))].join(', ')})${even.length ? `, and ${range(even)} where they are` : ''}.`
    : `Every row here is a multiple of 128 bytes, so alignment has nothing to fix: aligned over naive is ${range(even)}.`;
  return { title: 'Alignment gain', headline, chart: 'alignment-gain' };
}

/** Small rows over a big table: each knob tried against the plain aligned gather at the same point. */
function knobsFinding(run: RunResults): Finding | undefined {
  // small rows: the ones the cliff hits (4 KB rows keep the link's bandwidth over any table)
  const zc = ok(run).filter((p) => p.method === 'zerocopy-aligned' && Number(p.axes.contention ?? 0) === 0 && p.derived.rowBytes <= 512);
  const biggest = Math.max(...zc.map((p) => p.derived.tableBytes));
  const knob = (p: PointResult) => [variantOf(p), p.axes.distribution !== 'uniform' ? `${p.axes.distribution} indices` : ''].filter(Boolean).join(' ') || 'plain';
  const rows: { base: PointResult; p: PointResult; r: number }[] = [];
  for (const batch of [...new Set(zc.map((p) => p.axes.batch))]) {
    for (const width of [...new Set(zc.map((p) => p.axes.width))]) {
      const at = zc.filter((p) => p.derived.tableBytes === biggest && p.axes.batch === batch && p.axes.width === width);
      const base = at.find((p) => knob(p) === 'plain');
      const others = at.filter((p) => p !== base);
      if (!base || others.length < 2) continue;
      for (const p of others) rows.push({ base, p, r: p.bandwidth!.median / base.bandwidth!.median });
    }
  }
  if (!rows.length) return undefined;
  const top = rows.reduce((a, x) => (x.r > a.r ? x : a));
  const within = rows.filter((x) => Math.abs(x.r - 1) <= 0.05).length;
  return {
    title: 'Knobs tried against the cliff',
    headline: `Over the ${top.base.axes.table} table the best knob for small rows is ${knob(top.p)}: ${f2(top.r)}x the plain aligned gather (${f2(top.p.bandwidth!.median)} vs ${f2(top.base.bandwidth!.median)} GB/s, ${top.base.derived.rowBytes} B rows, batch ${top.base.axes.batch}); ${within} of ${rows.length} knob points stay within 5% of plain.`,
    detail: { columns: ['rows', 'batch', 'plain GB/s', 'knob', 'GB/s', 'over plain'], rows: rows.map((x) => [`${x.base.derived.rowBytes} B`, String(x.base.axes.batch), f2(x.base.bandwidth!.median), knob(x.p), f2(x.p.bandwidth!.median), `${f2(x.r)}x`]) },
    chart: 'bandwidth-by-width',
  };
}

function cliffFinding(run: RunResults): Finding | undefined {
  const zc = ok(run).filter((p) => p.method.startsWith('zerocopy') && variantOf(p) === '');
  const tables = new Set(zc.map((p) => p.axes.table));
  if (tables.size < 2) return undefined;
  const drops: { method: string; rowBytes: number; batch: string; before: PointResult; after: PointResult }[] = [];
  const groups = new Map<string, PointResult[]>();
  for (const p of zc) {
    const k = `${p.method} ${p.derived.rowBytes} ${p.axes.batch} ${p.axes.distribution}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  for (const ps of groups.values()) {
    ps.sort((a, b) => a.derived.tableBytes - b.derived.tableBytes);
    const first = ps[0];
    const drop = ps.find((p) => p.bandwidth!.median < 0.7 * first.bandwidth!.median);
    if (drop && ps.length > 1) drops.push({ method: first.method, rowBytes: first.derived.rowBytes, batch: String(first.axes.batch), before: ps[ps.indexOf(drop) - 1], after: drop });
  }
  // Results from before sampling.flush existed were warm.
  const state = run.scenario.sampling.flush === true ? 'Cold samples.' : 'Warm samples (they flatter the cliff).';
  if (!drops.length) return { title: 'Address-translation cliff', headline: `${state} No zero-copy series lost more than 30% of its bandwidth across the table sizes measured.`, chart: 'table-size' };
  const worst = drops.reduce((a, x) => (x.after.bandwidth!.median / x.before.bandwidth!.median < a.after.bandwidth!.median / a.before.bandwidth!.median ? x : a));
  return {
    title: 'Address-translation cliff',
    headline: `${state} ${drops.length} zero-copy series lose more than 30% as the table grows; the steepest, ${worst.method} with ${worst.rowBytes} B rows at batch ${worst.batch}, falls from ${f2(worst.before.bandwidth!.median)} GB/s (${worst.before.axes.table}) to ${f2(worst.after.bandwidth!.median)} (${worst.after.axes.table}).`,
    detail: { columns: ['method', 'rows', 'batch', 'before the drop', 'after it'], rows: drops.map((x) => [x.method, `${x.rowBytes} B`, x.batch, `${f2(x.before.bandwidth!.median)} GB/s at ${x.before.axes.table}`, `${f2(x.after.bandwidth!.median)} GB/s at ${x.after.axes.table}`]) },
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
  return { title: 'CPU and energy savings', headline: `At the largest common point (${point(b)}), ${base} vs zero-copy (aligned) — ${parts.join('; ')}.`, basis: cpuDrawsBasis([b]), chart: 'cpu-cost' };
}

function modelFinding(run: RunResults): Finding | undefined {
  const m = modelRun(run);
  if (!m.fits.length) return undefined;
  const fitted = m.points.filter((p) => p.predicted !== undefined);
  const flagged = fitted.filter((p) => p.flagged);
  const err = (x: number) => `${(x * 100).toFixed(1)}%`;
  const unfit = m.fits.flatMap((f) => Object.keys(f.unfit ?? {}).map((k) => `${f.family}: ${k} ${+f.constants[k].toPrecision(3)}`));
  const value = (f: (typeof m.fits)[number], k: string, v: number) => `${k} ${Number.isFinite(v) ? +v.toPrecision(3) : 'n/a'}${f.unfit?.[k] ? ` (unfit: ${f.unfit[k]})` : ''}`;
  return {
    title: 'Model fit',
    headline: `The model predicts the measured times within ${m.fits.map((f) => `${err(f.medianAbsError)} (${f.family})`).join(', ')} median error; ${flagged.length} of ${fitted.length} points are off by more than ${FLAG_ERROR * 100}%${unfit.length ? `; ${unfit.length} fitted constant(s) break physics, shown as unfit in the detail` : ''}.`,
    detail: {
      columns: ['family or point', 'error', 'fitted constants'],
      rows: [
        ...m.fits.map((f) => [f.family, `${err(f.medianAbsError)} median`, Object.entries(f.constants).map(([k, v]) => value(f, k, v)).join(', ')]),
        ...flagged.slice(0, 10).map((p) => [p.id, `${(p.error! * 100).toFixed(0)}%`, '']),
      ],
    },
    chart: 'model-fit',
  };
}

export function findings(run: RunResults): Finding[] {
  // Where the run measured the peers, theirs is the papers' question (what users run today): it goes first.
  const peersFirst = run.points.some((p) => p.status === 'ok' && methodSpec(p.method)?.backend === 'peer');
  const order = [ceilingFinding, crossoverFinding, alignmentFinding, cliffFinding, knobsFinding, copyEngineFinding, cacheFinding, sortedFinding, peerFinding, savingsFinding, modelFinding, ...STEP_FINDINGS];
  return (peersFirst ? [peerFinding, ...order.filter((f) => f !== peerFinding)] : order).map((f) => f(run)).filter((x): x is Finding => x !== undefined);
}
