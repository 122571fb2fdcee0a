/** report.html of an A/B job: each point's paired ratio with its interval, every round's ratio beside it. */
import { failsJob, tallyText, type PointComparison } from '../harness/compare/verdict.js';
import type { RoundRecord } from '../harness/ab/job.js';
import type { PairedPoint } from '../harness/ab/paired.js';
import type { MethodNoise } from '../harness/ab/noise.js';
import { chartSection, escapeHtml, htmlPage } from './html.js';
import type { Chart } from './charts/types.js';

export interface AbReport {
  baseline: string;
  candidate: string;
  scenario: string;
  threshold: number;
  alpha: number;
  stop: string;
  rounds: RoundRecord[];
  points: PointComparison[];
  paired: PairedPoint[];
  noise: MethodNoise[];
}

/**
 * A point's row label: its method and the axes that tell the job's points apart (the whole id, 150
 * characters of settings every point shares, was cut short in the chart).
 */
export function shortLabels(ids: string[]): Map<string, string> {
  const values = new Map<string, Set<string>>();
  for (const id of ids)
    for (const kv of id.split(' ').slice(1)) {
      const [k, v] = kv.split('=');
      values.set(k, (values.get(k) ?? new Set()).add(v));
    }
  const varying = new Set([...values].filter(([, v]) => v.size > 1).map(([k]) => k));
  return new Map(ids.map((id) => [id, [id.split(' ')[0], ...id.split(' ').slice(1).filter((kv) => varying.has(kv.split('=')[0]))].join(' ')]));
}

export function abChart(r: AbReport): Chart {
  const judged = r.points.filter((p) => p.timeRatio !== undefined);
  const label = shortLabels(r.points.map((p) => p.id));
  const est = judged.map((p) => ({ id: p.id, label: label.get(p.id), verdict: p.verdict, ratio: p.timeRatio, lo: p.ratioCi?.[0], hi: p.ratioCi?.[1] }));
  const rounds = r.paired.flatMap((p) => p.ratios.map((ratio, k) => ({ id: p.id, label: label.get(p.id) ?? p.id, round: k + 1, ratio })));
  const y = { field: 'label', type: 'nominal', title: null, sort: judged.map((p) => label.get(p.id)) };
  return {
    id: 'ab-ratios',
    title: 'Candidate time over baseline time, paired by round',
    caption: `Each row a point: grey dots are the rounds' paired ratios (candidate median over baseline median, measured one after the other), the coloured mark their geometric mean and the bar its interval at the level the job's false rate (${(r.alpha * 100).toFixed(0)}% a job, shared over the gated points and looks) leaves each point. Dashed lines: the ±${(r.threshold * 100).toFixed(0)}% threshold. Right of 1 is slower.`,
    spec: {
      width: 560,
      height: { step: 16 },
      layer: [
        { data: { values: rounds }, mark: { type: 'point', color: '#999', size: 18 }, encoding: { x: { field: 'ratio', type: 'quantitative', title: 'time ratio (candidate / baseline)', scale: { zero: false } }, y, tooltip: [{ field: 'id' }, { field: 'round' }, { field: 'ratio', format: '.4f' }] } },
        { data: { values: est }, mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' }, y, color: { field: 'verdict', type: 'nominal', scale: { domain: ['slower', 'uncertain', 'same', 'faster'], range: ['#d62728', '#e6b800', '#7f7f7f', '#2ca02c'] } } } },
        { data: { values: est }, mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'ratio', type: 'quantitative' }, y, color: { field: 'verdict', type: 'nominal' }, tooltip: [{ field: 'id' }, { field: 'verdict' }, { field: 'ratio', format: '.4f' }, { field: 'lo', format: '.4f' }, { field: 'hi', format: '.4f' }] } },
        { data: { values: [{ x: 1 }] }, mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
        { data: { values: [{ x: 1 + r.threshold }, { x: 1 / (1 + r.threshold) }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#555' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      ],
    },
  };
}

const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}%`;

/** The points of one verdict as rows: the change, its interval, whether gated, and the note (why uncertain). */
function verdictTable(points: PointComparison[], verdict: 'slower' | 'uncertain'): string {
  const rows = points.filter((p) => p.verdict === verdict);
  if (!rows.length) return '';
  const body = rows
    .map((p) => `<tr><td><code>${escapeHtml(p.id)}</code></td><td>${p.timeRatio !== undefined ? pct(p.timeRatio) : ''}</td><td>${p.ratioCi ? `${p.ratioCi[0].toFixed(3)}-${p.ratioCi[1].toFixed(3)}` : ''}</td><td>${p.gated === false ? 'no (a copy ceiling)' : 'yes'}</td><td>${escapeHtml(p.note ?? '')}</td></tr>`)
    .join('');
  const title = verdict === 'slower' ? `Slower (${rows.length})` : `Uncertain (${rows.length}): the rounds could not tell, and why`;
  return `<h2>${title}</h2><table class="points"><thead><tr><th>point</th><th>time change</th><th>interval of the time ratio</th><th>gated</th><th>why</th></tr></thead><tbody>${body}</tbody></table>`;
}

export function renderAbReport(r: AbReport): string {
  const section = chartSection([abChart(r)]);
  const noiseRows = r.noise.map((n) => `<tr><td>${escapeHtml(n.method)}</td><td>${(n.betweenRounds * 100).toFixed(2)}%</td><td>${Number.isFinite(n.withinRun) ? `${(n.withinRun * 100).toFixed(2)}%` : 'n/a'}</td><td>${n.points}</td></tr>`).join('');
  const roundRows = r.rounds.map((x) => `<tr><td>${x.round}</td><td>${x.order.join(' then ').toUpperCase()}</td><td>${x.a.seconds.toFixed(1)} s</td><td>${x.b.seconds.toFixed(1)} s</td></tr>`).join('');
  const body = `<h1>gatherbench ab: ${escapeHtml(r.scenario)}</h1>
<p><b>${failsJob(r.points) ? 'FAIL' : 'PASS'}: ${escapeHtml(tallyText(r.points))}</b> after ${r.rounds.length} rounds (${escapeHtml(r.stop)}).</p>
<p>Baseline (A): <code>${escapeHtml(r.baseline)}</code><br>Candidate (B): <code>${escapeHtml(r.candidate)}</code></p>
<p>Only gated points fail the job; the copy ceilings (pinned-memcpy, host-memcpy) are reported, not gated.</p>
${verdictTable(r.points, 'slower')}
${verdictTable(r.points, 'uncertain')}
${section.html}
<h2>Where the noise lives</h2>
<p>Per method, the spread of the paired ratios between rounds against the spread the runs' own samples imply. Far above 1x, the noise is each process's own luck: only more rounds average it out.</p>
<table class="points"><thead><tr><th>method</th><th>rounds spread (SD of ln ratio)</th><th>runs' own samples</th><th>points</th></tr></thead><tbody>${noiseRows}</tbody></table>
<h2>Rounds</h2>
<table class="points"><thead><tr><th>round</th><th>order</th><th>baseline</th><th>candidate</th></tr></thead><tbody>${roundRows}</tbody></table>`;
  return htmlPage(`gatherbench ab: ${r.scenario}`, body, section.embed);
}
