/**
 * The run report: one self-contained HTML file (vega inlined, data inlined,
 * no network), with a caption under every chart and a table of all points.
 */
import type { RunResults, PointResult } from '../harness/results/model.js';
import { runCostLine, timingLine } from '../harness/results/timing.js';
import { ciLabel, hasCi } from '../harness/stats/ci-label.js';
import { formatBytes, formatSeconds } from '../harness/units.js';
import { vegaScripts } from './assets.js';
import type { Chart } from './charts/types.js';
import { runCharts } from './charts/index.js';
import { findings } from './findings.js';
import { answerOf } from './answer.js';
import type { Finding } from './finding.js';
import { sampleState } from '../harness/compare/sample-state.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

export function warnings(run: RunResults): string[] {
  const w: string[] = [];
  if (run.hostOnly) w.push(`${run.backend}: CUDA methods were not run.`);
  if (run.status !== 'complete') w.push(`This run is ${run.status}: ${run.points.length} of ${run.plannedPoints} points are in it.`);
  const failed = run.points.filter((p) => p.status === 'failed');
  if (failed.length) w.push(`${failed.length} point(s) failed: ${failed.slice(0, 3).map((p) => `${p.id} (${p.reason})`).join('; ')}${failed.length > 3 ? '; ...' : ''}`);
  // One banner per reason, naming every method it keeps out.
  const byReason = new Map<string, string[]>();
  for (const u of run.unavailable) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.method]);
  for (const [reason, methods] of byReason) w.push(`${methods.join(', ')} unavailable: ${reason}`);
  const imprecise = run.points.filter((p) => p.status === 'ok' && !hasCi(p.stats));
  if (imprecise.length)
    w.push(`${imprecise.length} point(s) had too few samples for a 95% confidence interval of the median (CI n/a, ringed in the charts): their medians are shown, their precision is unknown. Raise sampling.budget or minSamples. E.g. ${imprecise[0].id} (${ciLabel(imprecise[0].stats)}).`);
  if (sampleState(run) === 'warm' && run.scenario.sampling.flush === undefined)
    w.push('warm samples: this run predates cold sampling (sampling.flush), so each sample found the caches and address translation the previous one left; small rows over big tables read faster than cold runs of them.');
  w.push(...(run.warnings ?? []));
  return [...new Set(w)];
}

function environmentPanel(run: RunResults): string {
  const e = run.environment;
  const byMethod = run.timing && runCostLine(run.points, run.timing);
  const gpus = e.cuda?.devices.map((d) => `${d.name} (cc ${d.computeCapability}, ${d.sms} SMs, ${formatBytes(d.totalMemory)}, ${d.pciBusId})`) ?? [];
  const rows: [string, string][] = [
    ['backend', run.backend],
    ['GPU', gpus.join('; ') || 'none'],
    ['CUDA', e.cuda?.built ? `runtime ${e.cuda.runtimeVersion}, driver ${e.cuda.driverVersion || 'none'}` : 'not in this build'],
    ['CPU', `${e.cpu.model}: ${e.cpu.cores} threads, ${e.cpu.physicalCores} cores, ${e.cpu.sockets} socket(s), ${e.cpu.numaNodes} NUMA node(s)`],
    ['memory', `${formatBytes(e.memory.total)} total, ${formatBytes(e.memory.available)} available at start`],
    ['OS', `${e.host.os}, kernel ${e.host.kernel}, ${e.host.arch}, virtualization: ${e.host.virtualization}`],
    ['Node / addon', `${e.node}; ${'error' in e.addon ? e.addon.error : e.addon.cuda ? `CUDA build (${e.addon.cudaArchitectures})` : 'CPU-only build'}`],
    ...gpuRows(run),
    ['telemetry', telemetryLine(run)],
    ...(run.timing ? [['where the time went', timingLine(run.timing)] as [string, string]] : []),
    ...(byMethod ? [['time by method', byMethod] as [string, string]] : []),
    ['commit', e.gitCommit],
    ['run', `${run.startedAt} to ${run.finishedAt ?? '(unfinished)'}`],
  ];
  return `<div class="scroll"><table class="env">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table></div>`;
}

function gpuRows(run: RunResults): [string, string][] {
  return (run.telemetry?.gpus ?? [])
    .filter((g) => g.pcieGenMax !== undefined)
    .map((g) => [`GPU ${g.cudaIndex} (NVML)`, `driver ${g.driver}; PCIe Gen${g.pcieGen} x${g.pcieWidth} at start, max Gen${g.pcieGenMax} x${g.pcieWidthMax}; ECC ${g.ecc === 1 ? 'on' : g.ecc === 0 ? 'off' : 'unknown'}; power limit ${g.powerLimitW} W; max clocks SM ${g.smClockMaxMHz} / memory ${g.memClockMaxMHz} MHz; ${run.telemetry?.idle?.gpuPowerW[g.uuid] !== undefined ? `idle ${run.telemetry.idle.gpuPowerW[g.uuid].toFixed(0)} W` : 'idle power not measured'}`]);
}

function telemetryLine(run: RunResults): string {
  const t = run.telemetry;
  if (!t) return 'not recorded';
  const sources = Object.entries(t.sources).map(([k, v]) => `${k}: ${v}`).join('; ');
  const cost = t.tickCpuMs !== undefined ? `; sampler ${t.tickCpuMs.toFixed(2)} ms CPU per ${t.intervalMs} ms tick (${t.overheadPct?.toFixed(2) ?? 'n/a'}% of a core)` : '';
  return `${sources}${cost}; per-point window ${t.windowSeconds}s`;
}

function pointRow(p: PointResult): string {
  const s = p.stats;
  const cells = [
    p.method,
    Object.entries(p.axes).map(([k, v]) => `${k}=${v}`).join(' '),
    p.status,
    p.bandwidth ? p.bandwidth.median.toFixed(2) : '',
    p.bandwidth ? `${p.bandwidth.ciLow.toFixed(2)} – ${p.bandwidth.ciHigh.toFixed(2)}` : '',
    s ? formatSeconds(s.median) : '',
    ciLabel(s),
    s ? formatSeconds(s.p5) : '',
    s ? formatSeconds(s.p95) : '',
    s ? String(s.n) : '',
    p.phases?.gather ? formatSeconds(p.phases.gather.median) : '',
    p.phases?.copy ? formatSeconds(p.phases.copy.median) : '',
    p.verification ? `${p.verification.mode} (${p.verification.rowsVerified} rows)` : '',
    p.telemetry ? p.telemetry.cpuSecondsPerGB.toFixed(4) : '',
    p.telemetry?.gpu?.energyPerGBJ !== undefined ? p.telemetry.gpu.energyPerGBJ.toFixed(2) : '',
  ];
  const sortKeys = [undefined, undefined, undefined, p.bandwidth?.median, undefined, s?.median, s?.relCi, s?.p5, s?.p95, s?.n, p.phases?.gather?.median, p.phases?.copy?.median, undefined, p.telemetry?.cpuSecondsPerGB, p.telemetry?.gpu?.energyPerGBJ];
  return `<tr class="${p.status}">${cells.map((c, i) => `<td${sortKeys[i] !== undefined ? ` data-sort="${sortKeys[i]}"` : ''}>${escapeHtml(c)}</td>`).join('')}<td>${notesCell(p)}</td></tr>`;
}

/** A number the addon wrote with six decimals ("68719476736.000000"), as a reader takes it in. */
export function tidyNumber(v: string): string {
  if (!/^-?\d+\.\d+$/.test(v)) return v;
  const x = Number(v);
  return Number.isInteger(x) ? x.toLocaleString('en-US') : String(+x.toPrecision(4));
}

/** A point's reason, or its notes folded away (they made the table of a 108-point run 40,000 px tall). */
function notesCell(p: PointResult): string {
  if (p.reason) return escapeHtml(p.reason);
  const notes = Object.entries(p.details).map(([k, v]) => `${k}: ${tidyNumber(v)}`);
  if (!notes.length) return '';
  return `<details><summary>${notes.length} note${notes.length === 1 ? '' : 's'}</summary>${escapeHtml(notes.join('; '))}</details>`;
}

const HEAD = ['method', 'axes', 'status', 'GB/s', '95% CI (GB/s)', 'median time', '± CI', 'p5', 'p95', 'samples', 'gather', 'copy', 'verified', 'CPU s/GB', 'GPU J/GB', 'notes'];

const STYLE = `body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:17px;margin-top:32px}.banner{background:#fff4d6;border:1px solid #e0b44c;padding:8px 12px;margin:6px 0}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
table.points th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}tr.failed{background:#fde2e2}tr.skipped{color:#888}
.caption{color:#444;max-width:900px;margin:4px 0 16px}input#filter{margin:8px 0;padding:4px;width:320px}
ul.findings li{margin:6px 0}details{margin:2px 0 6px}summary{cursor:pointer;color:#555}table.detail{font-size:13px;margin-top:4px}
.answer{font-size:17px;font-weight:600;background:#eef5ff;border-left:4px solid #1f77b4;padding:8px 12px}.banner.fail{background:#fde2e2;border-color:#d62728;font-weight:600}.scroll{overflow-x:auto;max-width:100%}.chart svg{max-width:100%;height:auto}.basis{color:#555}`;

const TABLE_SCRIPT = `(()=>{const t=document.querySelector('table.points');if(!t)return;const body=t.tBodies[0];
t.querySelectorAll('th').forEach((th,i)=>th.addEventListener('click',()=>{const asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';
const key=r=>{const c=r.cells[i];return c.dataset.sort!==undefined?Number(c.dataset.sort):c.textContent};
[...body.rows].sort((a,b)=>{const x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*(asc?1:-1)}).forEach(r=>body.appendChild(r))}));
document.getElementById('filter').addEventListener('input',e=>{const q=e.target.value.toLowerCase();
[...body.rows].forEach(r=>r.style.display=r.textContent.toLowerCase().includes(q)?'':'none')})})();`;

/** The vega libraries as inline script elements. */
function inlineVega(): string {
  return vegaScripts().map((s) => `<script>${s.replace(/<\/script/gi, '<\\/script')}</script>`).join('\n');
}

export function chartSection(charts: Chart[]): { html: string; embed: string } {
  return {
    html: charts.map((c) => `<h2 id="${c.id}">${escapeHtml(c.title)}</h2><div class="chart" id="chart-${c.id}"></div><p class="caption">${escapeHtml(c.caption)}</p>`).join('\n'),
    // Labels whole (vega cuts them at 180 px with an ellipsis); a chart wider than the window scales down to it (.chart svg).
    embed: charts.map((c) => `vegaEmbed('#chart-${c.id}', ${scriptJson(c.spec)}, {actions:false, renderer:'svg', config:{axis:{labelLimit:0}, legend:{labelLimit:0}, header:{labelLimit:0}}}).catch(e=>console.error(e));`).join('\n'),
  };
}

/** A finding's detail table, collapsed by default: the headline is what a reader needs first. */
function detailHtml(f: Finding): string {
  if (!f.detail?.rows.length) return '';
  const head = f.detail.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const rows = f.detail.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<details><summary>detail (${f.detail.rows.length} row${f.detail.rows.length === 1 ? '' : 's'})</summary><div class="scroll"><table class="detail"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div></details>`;
}

function findingsSection(run: RunResults, charts: Chart[]): string {
  const fs = findings(run);
  if (!fs.length) return '';
  const ids = new Set(charts.map((c) => c.id));
  return `<h2>Findings</h2><ul class="findings">${fs.map((f) => `<li><b>${escapeHtml(f.title)}.</b> ${escapeHtml(f.headline)}${f.basis ? ` <span class="basis">(${escapeHtml(f.basis)})</span>` : ''}${ids.has(f.chart) ? ` <a href="#${f.chart}">(chart)</a>` : ''}${detailHtml(f)}</li>`).join('')}</ul>`;
}

/** Every report's page: one offline file, vega inlined, the charts embedded by `script` at the end. */
export function htmlPage(title: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${inlineVega()}
</head><body>
${body}
<script>${script}</script>
</body></html>
`;
}

export function renderRunReport(run: RunResults): string {
  const charts = runCharts(run);
  const section = chartSection(charts);
  const chartHtml = charts.length ? section.html : '<p>No successful points to chart.</p>';
  const answer = answerOf(run);
  const body = `<h1>gatherbench: ${escapeHtml(run.scenario.name)}</h1>
${answer ? `<p class="answer">${escapeHtml(answer)}</p>` : ''}
<p>${escapeHtml(run.scenario.description)}</p>
${warnings(run).map((w) => `<div class="banner${/^\d+ point\(s\) failed:/.test(w) ? ' fail' : ''}">${escapeHtml(w)}</div>`).join('\n')}
${findingsSection(run, charts)}
<h2>Environment</h2>
${environmentPanel(run)}
${chartHtml}
<h2>All points</h2>
<p>Data: <a href="results.csv">results.csv</a>, <a href="results.json">results.json</a> (raw samples included). Click a header to sort.</p>
<input id="filter" placeholder="filter rows (e.g. zerocopy width=1000)">
<div class="scroll"><table class="points"><thead><tr>${HEAD.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${run.points.map(pointRow).join('\n')}</tbody></table></div>`;
  return htmlPage(`gatherbench: ${run.scenario.name}`, body, `${section.embed}\n${TABLE_SCRIPT}`);
}
