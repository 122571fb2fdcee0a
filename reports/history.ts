/** history.html: bandwidth per point across nightly runs, step changes marked. */
import type { HistoryRecord, Step } from '../harness/compare/history.js';
import { chartSection, escapeHtml, htmlPage } from './html.js';
import type { Chart } from './charts/types.js';

/** Points across nights, one panel per `panel` value, each panel's y scale its own. */
function nightPanels(values: object[], layer: object[], panel: string, transform: object[] = []): Record<string, unknown> {
  return { data: { values }, facet: { field: panel, type: 'nominal', title: null }, columns: 2, transform, spec: { width: 420, height: 200, layer }, resolve: { scale: { y: 'independent' } } };
}

export function historyChart(records: HistoryRecord[], steps: Step[]): Chart {
  const stepKeys = new Set(steps.map((s) => `${s.id}|${s.run}`));
  const rows = records.filter((r) => r.GBps !== undefined).map((r) => ({ ...r, step: stepKeys.has(`${r.id}|${r.run}`) }));
  return {
    id: 'history',
    title: 'Bandwidth across runs',
    caption: 'Median bandwidth of each point, run after run (one panel per method and GPU). Red rings mark step changes: the median left the runs before it (the last 10, at least 3) by more than the threshold and by more than their run-to-run prediction bar, the rule the nightly gate applies.',
    spec: nightPanels(
      rows,
      [
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'date', type: 'temporal', title: 'run' }, y: { field: 'GBps', type: 'quantitative', title: 'GB/s', scale: { zero: false } }, color: { field: 'id', type: 'nominal', title: 'point', scale: { scheme: 'tableau20' }, legend: { orient: 'bottom', columns: 1, labelLimit: 900 } }, tooltip: [{ field: 'id' }, { field: 'run' }, { field: 'commit' }, { field: 'driver' }, { field: 'GBps', format: '.2f' }] } },
        { transform: [{ filter: 'datum.step' }], mark: { type: 'point', size: 160, color: 'red', strokeWidth: 2 }, encoding: { x: { field: 'date', type: 'temporal' }, y: { field: 'GBps', type: 'quantitative' } } },
      ],
      'panel',
      [{ calculate: "datum.method + ' · ' + datum.model", as: 'panel' }],
    ),
  };
}

/** Nights of A/B jobs: each night's paired ratio against the build before, and their running product per point. */
export function abHistoryChart(records: HistoryRecord[]): Chart | undefined {
  const nights = records.filter((r) => r.ab).sort((a, b) => a.date.localeCompare(b.date));
  if (!nights.length) return undefined;
  const level = new Map<string, number>();
  const rows = nights.map((r) => {
    level.set(r.id, (level.get(r.id) ?? 1) * r.ab!.ratio);
    return { id: r.id, method: r.method, date: r.date, run: r.run, commit: r.commit, ratio: r.ab!.ratio, ciLow: r.ab!.ciLow, ciHigh: r.ab!.ciHigh, verdict: r.ab!.verdict, level: level.get(r.id)! };
  });
  return {
    id: 'ab-history',
    title: 'A/B nights: each build against the one before',
    caption: "Per point, each night's paired time ratio against the build before (dots, with its interval; red: called slower) and the product of the nights' ratios so far (line): a change that landed is one night off 1 and a step in the line, which stays where the change left it.",
    spec: nightPanels(
      rows,
      [
        { mark: { type: 'line' }, encoding: { x: { field: 'date', type: 'temporal', title: 'night' }, y: { field: 'level', type: 'quantitative', title: 'time ratio', scale: { zero: false } }, color: { field: 'id', type: 'nominal', legend: { orient: 'bottom', columns: 1, labelLimit: 900 } } } },
        { mark: { type: 'rule' }, encoding: { x: { field: 'date', type: 'temporal' }, y: { field: 'ciLow', type: 'quantitative' }, y2: { field: 'ciHigh' }, color: { field: 'id', type: 'nominal' } } },
        { mark: { type: 'point', filled: true }, encoding: { x: { field: 'date', type: 'temporal' }, y: { field: 'ratio', type: 'quantitative' }, color: { condition: { test: "datum.verdict === 'slower'", value: 'red' }, field: 'id', type: 'nominal' }, tooltip: [{ field: 'id' }, { field: 'run' }, { field: 'commit' }, { field: 'verdict' }, { field: 'ratio', format: '.4f' }, { field: 'level', format: '.4f' }] } },
      ],
      'method',
    ),
  };
}

export function renderHistory(records: HistoryRecord[], steps: Step[], threshold: number): string {
  const ab = abHistoryChart(records);
  const section = chartSection([historyChart(records, steps), ...(ab ? [ab] : [])]);
  const runs = new Set(records.map((r) => r.run)).size;
  const stepRows = steps.map((s) => `<tr><td>${escapeHtml(s.date)}</td><td>${escapeHtml(s.run)}</td><td>${escapeHtml(s.id)}</td><td>${((s.ratio - 1) * 100).toFixed(1)}% time</td><td>±${(s.needed * 100).toFixed(1)}% (${s.runs} runs)</td></tr>`).join('');
  const body = `<h1>gatherbench history: ${runs} runs, ${new Set(records.map((r) => r.id)).size} points</h1>
${section.html}
<h2>Step changes (threshold ${(threshold * 100).toFixed(0)}%)</h2>
${steps.length ? `<table class="points"><thead><tr><th>date</th><th>run</th><th>point</th><th>change</th><th>bar</th></tr></thead><tbody>${stepRows}</tbody></table>` : '<p>None.</p>'}`;
  return htmlPage('gatherbench history', body, section.embed);
}
