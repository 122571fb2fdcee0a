/**
 * Comparison of two or more runs (another GPU, another driver, before and
 * after a change): points matched by method and axes, bandwidth side by side
 * and as a ratio to the first run; points that exist in only some runs listed.
 */
import path from 'node:path';
import type { PointResult, RunResults } from '../harness/results/model.js';
import type { Chart } from './charts/types.js';
import { variantOf, varyingWorkloadAxes } from './charts/data.js';
import { chartSection, escapeHtml, htmlPage, warnings } from './html.js';
import { sampleState } from '../harness/compare/sample-state.js';

export interface ComparedRun {
  label: string;
  dir: string;
  run: RunResults;
}

export interface MatchedPoint {
  id: string;
  series: string;
  point: string;
  /** bandwidth in each run, GB/s (undefined where the point did not succeed there) */
  bandwidth: (number | undefined)[];
  /** bandwidth relative to the first run */
  ratio: (number | undefined)[];
}

export interface Comparison {
  runs: ComparedRun[];
  matched: MatchedPoint[];
  /** run label -> ids of points no other run has */
  onlyIn: Record<string, string[]>;
}

export function labelRuns(runs: { dir: string; run: RunResults }[]): ComparedRun[] {
  return runs.map((r, i) => ({ ...r, label: `#${i + 1} ${r.run.backend.replace(/^cuda: /, '')} · ${path.basename(r.dir)}` }));
}

/** A point's workload axes that differ somewhere in the comparison, as "width=100 batch=2048". */
function pointLabeller(points: PointResult[]): (p: PointResult) => string {
  const varying = varyingWorkloadAxes(points);
  return (p) => varying.filter((a) => p.axes[a] !== undefined).map((a) => `${a}=${p.axes[a]}`).join(' ') || p.method;
}

export function compareRuns(runs: ComparedRun[]): Comparison {
  const maps = runs.map((r) => new Map(r.run.points.map((p) => [p.id, p])));
  const ids = [...new Set(runs.flatMap((r) => r.run.points.map((p) => p.id)))];
  const matched: MatchedPoint[] = [];
  const pointLabel = pointLabeller(runs.flatMap((r) => r.run.points));
  const onlyIn: Record<string, string[]> = Object.fromEntries(runs.map((r) => [r.label, []]));
  for (const id of ids) {
    const ps = maps.map((m) => m.get(id));
    const present = ps.filter((p) => p !== undefined);
    if (present.length < runs.length) {
      ps.forEach((p, i) => p && present.length === 1 && onlyIn[runs[i].label].push(id));
      if (present.length === 1) continue;
    }
    const any = present[0]!;
    const bw = ps.map((p) => (p?.status === 'ok' ? p.bandwidth?.median : undefined));
    matched.push({
      id,
      series: [any.method, variantOf(any)].filter(Boolean).join(' '),
      point: pointLabel(any),
      bandwidth: bw,
      ratio: bw.map((b) => (b !== undefined && bw[0] !== undefined ? b / bw[0] : undefined)),
    });
  }
  return { runs, matched: matched.sort((a, b) => pointOrder(byId(a.id), byId(b.id))), onlyIn };
  function byId(id: string): PointResult {
    return maps.map((m) => m.get(id)).find(Boolean)!;
  }
}

/** Method, then width, batch and table by size (not as strings: 16 before 100, 64MiB before 1GiB), then the rest. */
function pointOrder(a: PointResult, b: PointResult): number {
  const num = (p: PointResult) => [Number(p.axes.width), Number(p.axes.batch), p.derived.tableBytes, Number(p.axes.contention ?? 0), Number(p.axes.gpus ?? 1)];
  const [x, y] = [num(a), num(b)];
  return a.method.localeCompare(b.method) || x.reduce((d, v, i) => d || v - y[i], 0) || a.id.localeCompare(b.id);
}

export function comparisonCharts(c: Comparison): Chart[] {
  const rows = c.matched.flatMap((m) => m.bandwidth.map((b, i) => ({ series: m.series, point: m.point, run: c.runs[i].label, bandwidth: b, ratio: m.ratio[i] })).filter((r) => r.bandwidth !== undefined));
  if (!rows.length) return [];
  const facet = { field: 'series', type: 'nominal', title: null };
  return [
    {
      id: 'compare-bandwidth',
      title: 'Bandwidth, run by run',
      caption: 'Each matched point, one bar per run (median GB/s). Points are matched by method and every axis; see the lists below for points only some runs have.',
      // Horizontal bars: a point's label reads whole on the left, and every bar keeps its own thickness.
      spec: { data: { values: rows }, facet: { ...facet, header: { labelAnchor: 'start' } }, columns: 1, spec: { width: 520, height: { step: 9 }, mark: 'bar', encoding: { y: { field: 'point', type: 'nominal', title: null, sort: null, axis: { labelLimit: 520 } }, yOffset: { field: 'run' }, x: { field: 'bandwidth', type: 'quantitative', title: 'GB/s' }, color: { field: 'run', type: 'nominal', legend: { orient: 'top', labelLimit: 400 } }, tooltip: [{ field: 'run' }, { field: 'point' }, { field: 'bandwidth', format: '.2f' }] } }, resolve: { scale: { y: 'independent', x: 'independent' } } },
    },
    {
      id: 'compare-ratio',
      title: `Ratio to ${c.runs[0].label}`,
      caption: 'Bandwidth of each later run over the first, per matched point. Above the rule at 1 the later run is faster. Read small differences against each point\'s confidence interval in the runs\' own reports; `gatherbench compare` makes the statistical call.',
      spec: { data: { values: rows.filter((r) => r.run !== c.runs[0].label && r.ratio !== undefined) }, facet: { ...facet, header: { labelAnchor: 'start' } }, columns: 1, spec: { width: 520, height: { step: 14 }, layer: [{ mark: { type: 'rule', color: '#555' }, encoding: { x: { datum: 1 } } }, { mark: { type: 'point', filled: true }, encoding: { y: { field: 'point', type: 'nominal', title: null, sort: null, axis: { labelLimit: 520 } }, x: { field: 'ratio', type: 'quantitative', scale: { zero: false }, title: 'ratio' }, color: { field: 'run', type: 'nominal', legend: { orient: 'top', labelLimit: 400 } }, tooltip: [{ field: 'run' }, { field: 'point' }, { field: 'ratio', format: '.3f' }] } }] }, resolve: { scale: { y: 'independent' } } },
    },
  ];
}

export function renderComparison(c: Comparison): string {
  const charts = comparisonCharts(c);
  const section = chartSection(charts);
  const runsTable = c.runs
    .map((r) => {
      const e = r.run.environment;
      const gpu = e.cuda?.devices.map((d) => d.name).join(', ') || 'none';
      return `<tr><td>${escapeHtml(r.label)}</td><td>${escapeHtml(r.run.scenario.name)}</td><td>${escapeHtml(r.run.backend)}</td><td>${escapeHtml(gpu)}</td><td>${escapeHtml(e.cuda?.driverVersion ? String(e.cuda.driverVersion) : '')}</td><td>${escapeHtml(e.gitCommit)}</td><td>${escapeHtml(r.run.startedAt)}</td></tr>`;
    })
    .join('');
  const only = Object.entries(c.onlyIn)
    .filter(([, ids]) => ids.length)
    .map(([label, ids]) => `<p><b>only in ${escapeHtml(label)}</b> (${ids.length}):</p><ul>${ids.slice(0, 50).map((id) => `<li>${escapeHtml(id)}</li>`).join('')}${ids.length > 50 ? '<li>...</li>' : ''}</ul>`)
    .join('');
  const table = c.matched
    .map((m) => `<tr><td>${escapeHtml(m.series)}</td><td>${escapeHtml(m.point)}</td>${m.bandwidth.map((b, i) => `<td>${b?.toFixed(2) ?? '–'}${i > 0 && m.ratio[i] !== undefined ? ` (${m.ratio[i]!.toFixed(3)}x)` : ''}</td>`).join('')}</tr>`)
    .join('\n');
  // What each run's own report warns about (test switches, warm samples, a slow link) stays visible here.
  const states = c.runs.map((r) => sampleState(r.run));
  const mixed = new Set(states.filter((s) => s !== 'host-only')).size > 1 ? [`<div class="banner">The runs' samples differ: ${c.runs.map((r, i) => `${escapeHtml(r.label)} ${states[i]}`).join(', ')}. Warm samples flatter small rows over big tables: read those ratios as the sampling's, not the change's.</div>`] : [];
  const banners = [...mixed, ...c.runs.flatMap((r) => warnings(r.run).map((w) => `<div class="banner">${escapeHtml(r.label)}: ${escapeHtml(w)}</div>`))].join('\n');
  const body = `<h1>gatherbench comparison of ${c.runs.length} runs</h1>
${banners}
<table class="env"><tr><th>run</th><th>scenario</th><th>backend</th><th>GPU</th><th>driver</th><th>commit</th><th>started</th></tr>${runsTable}</table>
${section.html}
<h2>Points not in every run</h2>
${only || '<p>None: every point is in every run.</p>'}
<h2>Matched points (GB/s)</h2>
<table class="points"><thead><tr><th>method</th><th>point</th>${c.runs.map((r) => `<th>${escapeHtml(r.label)}</th>`).join('')}</tr></thead><tbody>${table}</tbody></table>`;
  return htmlPage('gatherbench comparison', body, section.embed);
}
