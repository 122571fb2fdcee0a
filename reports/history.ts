/** history.html: bandwidth per point across nightly runs, step changes marked. */
import type { HistoryRecord, Step } from '../harness/compare/history.js';
import { chartSection, escapeHtml, htmlPage } from './html.js';
import type { Chart } from './charts/types.js';

export function historyChart(records: HistoryRecord[], steps: Step[]): Chart {
  const stepKeys = new Set(steps.map((s) => `${s.id}|${s.run}`));
  const rows = records.filter((r) => r.GBps !== undefined).map((r) => ({ ...r, step: stepKeys.has(`${r.id}|${r.run}`) }));
  return {
    id: 'history',
    title: 'Bandwidth across runs',
    caption: 'Median bandwidth of each point, run after run (one panel per method and GPU). Red rings mark step changes: the median left the runs before it (the last 10, at least 3) by more than the threshold and by more than their run-to-run prediction bar, the rule the nightly gate applies.',
    spec: {
      data: { values: rows },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 2,
      transform: [{ calculate: "datum.method + ' · ' + datum.model", as: 'panel' }],
      spec: {
        width: 420,
        height: 200,
        layer: [
          { mark: { type: 'line', point: true }, encoding: { x: { field: 'date', type: 'temporal', title: 'run' }, y: { field: 'GBps', type: 'quantitative', title: 'GB/s', scale: { zero: false } }, color: { field: 'id', type: 'nominal', title: 'point', scale: { scheme: 'tableau20' }, legend: { orient: 'bottom', columns: 1, labelLimit: 900 } }, tooltip: [{ field: 'id' }, { field: 'run' }, { field: 'commit' }, { field: 'driver' }, { field: 'GBps', format: '.2f' }] } },
          { transform: [{ filter: 'datum.step' }], mark: { type: 'point', size: 160, color: 'red', strokeWidth: 2 }, encoding: { x: { field: 'date', type: 'temporal' }, y: { field: 'GBps', type: 'quantitative' } } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

export function renderHistory(records: HistoryRecord[], steps: Step[], threshold: number): string {
  const section = chartSection([historyChart(records, steps)]);
  const runs = new Set(records.map((r) => r.run)).size;
  const stepRows = steps.map((s) => `<tr><td>${escapeHtml(s.date)}</td><td>${escapeHtml(s.run)}</td><td>${escapeHtml(s.id)}</td><td>${((s.ratio - 1) * 100).toFixed(1)}% time</td><td>±${(s.needed * 100).toFixed(1)}% (${s.runs} runs)</td></tr>`).join('');
  const body = `<h1>gatherbench history: ${runs} runs, ${new Set(records.map((r) => r.id)).size} points</h1>
${section.html}
<h2>Step changes (threshold ${(threshold * 100).toFixed(0)}%)</h2>
${steps.length ? `<table class="points"><thead><tr><th>date</th><th>run</th><th>point</th><th>change</th><th>bar</th></tr></thead><tbody>${stepRows}</tbody></table>` : '<p>None.</p>'}`;
  return htmlPage('gatherbench history', body, section.embed);
}
